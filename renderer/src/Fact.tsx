/** One fact in plain words; `about` names the technical thing behind it, for the tooltip. */
export function Fact({ term, about, children }: { term: string; about?: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt title={about}>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
