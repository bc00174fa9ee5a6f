// Tiny DOM helpers for the requirements pane. Text always goes in as text (textContent / text nodes),
// never as HTML: model output and file contents are data.

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | undefined | false;

/** Creates an element with attributes (true → present, false/undefined → absent) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === false) continue;
        el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
        if (c === undefined || c === false) continue;
        el.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return el;
}

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
    el.replaceChildren(...children.filter((c): c is Node | string => c !== undefined && c !== false));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
    const el = document.getElementById(id);
    if (!el) throw new Error(`#${id} is missing from the pane`);
    return el as T;
}

export function show(el: HTMLElement, visible: boolean): void {
    el.hidden = !visible;
}
