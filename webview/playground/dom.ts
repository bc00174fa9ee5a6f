// Small DOM helpers for the playground. Everything is built with createElement and textContent: model
// output, prompt text, file and model names are data and never reach innerHTML.

export interface Props {
    className?: string;
    text?: string;
    attrs?: Record<string, string | undefined>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    apply(e, props);
    e.append(...children);
    return e;
}

/** A custom element (vscode-*), with boolean attributes given as "". */
export function custom<T extends HTMLElement = HTMLElement>(tag: string, props: Props = {}, ...children: Array<Node | string>): T {
    const e = document.createElement(tag) as T;
    apply(e, props);
    e.append(...children);
    return e;
}

function apply(e: HTMLElement, props: Props): void {
    if (props.className) e.className = props.className;
    if (props.text !== undefined) e.textContent = props.text;
    for (const [k, v] of Object.entries(props.attrs ?? {})) if (v !== undefined) e.setAttribute(k, v);
}

/** A codicon (decorative). */
export function icon(name: string): HTMLElement {
    return el("span", { className: `codicon codicon-${name}`, attrs: { "aria-hidden": "true" } });
}

export function debounce<A extends unknown[]>(ms: number, fn: (...args: A) => void): ((...args: A) => void) & { flush(): void; cancel(): void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: A | undefined;
    const run = (): void => {
        timer = undefined;
        if (last) fn(...last);
        last = undefined;
    };
    const d = (...args: A): void => {
        last = args;
        if (timer) clearTimeout(timer);
        timer = setTimeout(run, ms);
    };
    d.flush = (): void => {
        if (timer) clearTimeout(timer);
        run();
    };
    d.cancel = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        last = undefined;
    };
    return d;
}

/** "1,234" */
export function int(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}

/** "12 ms", "1.4 s" */
export function ms(n: number): string {
    return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

/** A number as a field shows it: no float noise (0.30000000000000004 → 0.3). */
export function num(n: number | undefined): string {
    if (n === undefined || !Number.isFinite(n)) return "";
    return String(Number(n.toPrecision(12)));
}
