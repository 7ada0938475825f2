interface FormButtonsProps {
  onCancel: () => void;
  /** The label of the form's submit button. */
  submit: string;
  disabled: boolean;
}

/** A dialog form's last row: Cancel, then the primary submit button. */
export function FormButtons({ onCancel, submit, disabled }: FormButtonsProps) {
  return (
    <div className="row end">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={disabled}>
        {submit}
      </button>
    </div>
  );
}
