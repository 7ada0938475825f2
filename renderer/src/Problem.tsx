/** What went wrong, as a sentence screen readers announce; nothing when nothing did. */
export function Problem({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p className="sentence bad" role="alert">
      {text}
    </p>
  );
}
