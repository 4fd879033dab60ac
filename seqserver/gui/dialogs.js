// The page's dialogs: the error dialog (manual 4.2, "Error Handling"), the
// BasicDialog prompt (manual 2.8) and the OTTO dialogs. Each wraps one <dialog>
// element of index.html and reports the operator's choice as an event.

/** Shows a script's error with its traceback; Retry, Ignore or Discard. */
export class ErrorDialog extends EventTarget {
  constructor(element) {
    super();
    this.element = element;
    this.error = null;
    for (const choice of ["retry", "ignore", "discard"]) {
      element.querySelector(`[data-choice=${choice}]`).addEventListener("click", () => {
        const error = this.error;
        this.close();
        this.dispatchEvent(new CustomEvent(choice, { detail: { error } }));
      });
    }
  }

  show(error) {
    this.error = error;
    this.element.querySelector(".node").textContent = `${error.name} (${error.sn})`;
    this.element.querySelector(".exception").textContent = error.exception;
    this.element.querySelector(".where").textContent = error.file ? `${error.file}, line ${error.line}` : "";
    this.element.querySelector(".traceback").textContent = error.traceback;
    if (!this.element.open) this.element.showModal();
  }

  close() {
    this.error = null;
    if (this.element.open) this.element.close();
  }
}

/** A BasicDialog waiting for an answer: perform the extra step, or stop. */
export class PromptDialog extends EventTarget {
  constructor(element) {
    super();
    this.element = element;
    this.request = null;
    for (const answer of ["perform", "stop"]) {
      element.querySelector(`[data-answer=${answer}]`).addEventListener("click", () => {
        this.dispatchEvent(new CustomEvent("answer", { detail: { sn: this.request.sn, answer } }));
      });
    }
  }

  show(request) {
    this.request = request;
    const field = (name, text) => (this.element.querySelector(`.${name}`).textContent = text || "");
    field("title", request.name);
    field("description", request.description);
    field("condition", request.condition_label ? `Condition not met: ${request.condition_label}` : "The condition is not met.");
    this.element.querySelector("[data-answer=perform]").textContent = request.step_label || "Perform extra step";
    if (!this.element.open) this.element.showModal();
  }

  /** Close when this dialog's node was answered (here or by another client). */
  resolved(sn) {
    if (this.request && this.request.sn === sn) {
      this.request = null;
      this.element.close();
    }
  }

  close() {
    this.request = null;
    if (this.element.open) this.element.close();
  }
}

/** A dialog showing a command's text output (OTTO's List OBs). */
export class TextDialog {
  constructor(element) {
    this.element = element;
    element.querySelector("[data-choice=close]").addEventListener("click", () => element.close());
  }

  show(title, text) {
    this.element.querySelector(".title").textContent = title;
    this.element.querySelector(".text").textContent = text;
    if (!this.element.open) this.element.showModal();
  }
}
