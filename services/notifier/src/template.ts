// Message templates: `{{name}}` is replaced by the value of that variable (app, namespace, version,
// phase, reason, url, releaseId, revision, stage, trigger, eventName, attempts); an unknown name is
// left as it is, so a typo shows in the message instead of silently vanishing.

export type Vars = Readonly<Record<string, string | number | null | undefined>>;

export function render(template: string, vars: Vars): string {
  return template.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (whole, name: string) => {
    if (!(name in vars)) return whole;
    const v = vars[name];
    return v === null || v === undefined || v === "" ? "–" : String(v);
  });
}
