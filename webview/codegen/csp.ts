// Imported first by main.ts, before the UI components, so that a Content-Security-Policy violation
// anywhere in the page (a component that sets an inline style, a blocked font) reaches the extension's
// log instead of failing silently.
type Report = (v: { directive: string; blocked: string; sample?: string }) => void;

const early: Array<Parameters<Report>[0]> = [];
let report: Report | undefined;

document.addEventListener("securitypolicyviolation", (e: SecurityPolicyViolationEvent) => {
    const v = { directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI || "inline", ...(e.sample ? { sample: e.sample.slice(0, 80) } : {}) };
    if (report) report(v);
    else early.push(v);
});

/** Sends violations (those seen before the connection too) through `send`. */
export function reportCspViolations(send: Report): void {
    report = send;
    for (const v of early.splice(0)) send(v);
}
