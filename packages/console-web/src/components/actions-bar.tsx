import { useEffect, useRef, useState } from "preact/hooks";
import type { ConsoleAction } from "@baton/contracts";
import { ApiFailure, api } from "../api";

// The actions the server says this person may take on this release now (a viewer gets none, so
// there is nothing to hide). Each asks for confirmation in a modal dialog before it is sent.

export function ActionsBar({ releaseId, actions }: { releaseId: string; actions: readonly ConsoleAction[] }) {
  const [asking, setAsking] = useState<ConsoleAction | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  if (actions.length === 0) return null;
  return (
    <div class="actions">
      {actions.map((a) => (
        <button type="button" key={a.id} class={a.danger ? "button danger" : "button primary"} onClick={() => (setResult(null), setAsking(a))}>
          {a.label}
        </button>
      ))}
      {result && (
        <p role={result.ok ? "status" : "alert"} class={result.ok ? "result ok" : "result error"}>
          {result.text}
        </p>
      )}
      {asking && (
        <Confirm
          action={asking}
          onClose={() => setAsking(null)}
          onDone={(ok, text) => {
            setAsking(null);
            setResult({ ok, text });
          }}
          releaseId={releaseId}
        />
      )}
    </div>
  );
}

function Confirm({ action, releaseId, onClose, onDone }: { action: ConsoleAction; releaseId: string; onClose: () => void; onDone: (ok: boolean, text: string) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const r = await api.act(releaseId, action.id, action.reason === "none" ? undefined : reason);
      onDone(r.accepted, r.accepted ? `${action.label}: sent (${r.event}).` : `${action.label} refused: ${r.reason ?? "no reason given"}`);
    } catch (err) {
      setBusy(false);
      setError(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" onClose={onClose} onCancel={onClose}>
      <form method="dialog" onSubmit={submit}>
        <h2 id="confirm-title">{action.label} this release?</h2>
        <p>{action.confirm}</p>
        {action.reason !== "none" && (
          <label class="field">
            Reason{action.reason === "optional" ? " (optional)" : ""}
            <textarea value={reason} maxLength={1024} required={action.reason === "required"} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
          </label>
        )}
        {error && (
          <p role="alert" class="result error">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" class="button" onClick={() => dialog.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={action.danger ? "button danger" : "button primary"} disabled={busy}>
            {busy ? "Sending…" : `Yes, ${action.label.toLowerCase()}`}
          </button>
        </div>
      </form>
    </dialog>
  );
}
