// Where a JSON path ("rules.pii-emial", "customRules[0].pattern", `rules["a.b"]`) is in a config
// file's text, so a LintConfigError that names a path (but no line) can be shown on the right key.
// Plain string work, no VS Code: the adapter turns the offsets into a range.

export type JsonSegment = string | number;

/** The segments of a path written by core/lint/config.ts's formatJsonPath; [] for "(top level)" or anything unreadable. */
export function parseJsonPath(path: string | undefined): JsonSegment[] {
    if (!path || path === "(top level)") return [];
    const segs: JsonSegment[] = [];
    let i = 0;
    try {
        while (i < path.length) {
            const c = path[i];
            if (c === ".") {
                i++;
            } else if (c === "[" && path[i + 1] === "\"") {
                let j = i + 2;
                while (j < path.length && path[j] !== "\"") j += path[j] === "\\" ? 2 : 1;
                segs.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
                i = j + 2;
            } else if (c === "[") {
                const j = path.indexOf("]", i);
                if (j < 0) break;
                segs.push(Number(path.slice(i + 1, j)));
                i = j + 1;
            } else {
                let j = i;
                while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
                segs.push(path.slice(i, j));
                i = j;
            }
        }
    } catch {
        return segs;
    }
    return segs;
}

interface JsonMember {
    key: string;
    keyStart: number;
    keyEnd: number;
    value: JsonNode;
}

interface JsonNode {
    start: number;
    end: number;
    members?: JsonMember[];
    items?: JsonNode[];
}

class Scanner {
    pos = 0;
    constructor(readonly text: string) {}

    skip(): void {
        for (;;) {
            while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
            // Comments are not JSON, but a tolerant locator loses nothing by skipping them.
            if (this.text.startsWith("//", this.pos)) {
                const nl = this.text.indexOf("\n", this.pos);
                this.pos = nl < 0 ? this.text.length : nl + 1;
            } else if (this.text.startsWith("/*", this.pos)) {
                const close = this.text.indexOf("*/", this.pos + 2);
                this.pos = close < 0 ? this.text.length : close + 2;
            } else {
                return;
            }
        }
    }

    string(): { value: string; start: number; end: number } {
        const start = this.pos;
        if (this.text[this.pos] !== "\"") throw new Error("string expected");
        let j = this.pos + 1;
        while (j < this.text.length && this.text[j] !== "\"") j += this.text[j] === "\\" ? 2 : 1;
        if (j >= this.text.length) throw new Error("unterminated string");
        this.pos = j + 1;
        return { value: JSON.parse(this.text.slice(start, this.pos)) as string, start, end: this.pos };
    }

    value(): JsonNode {
        this.skip();
        const start = this.pos;
        const c = this.text[this.pos];
        if (c === "{") {
            this.pos++;
            const members: JsonMember[] = [];
            this.skip();
            if (this.text[this.pos] === "}") {
                this.pos++;
                return { start, end: this.pos, members };
            }
            for (;;) {
                this.skip();
                const key = this.string();
                this.skip();
                if (this.text[this.pos] !== ":") throw new Error("colon expected");
                this.pos++;
                members.push({ key: key.value, keyStart: key.start, keyEnd: key.end, value: this.value() });
                this.skip();
                const sep = this.text[this.pos++];
                if (sep === "}") return { start, end: this.pos, members };
                if (sep !== ",") throw new Error("comma expected");
            }
        }
        if (c === "[") {
            this.pos++;
            const items: JsonNode[] = [];
            this.skip();
            if (this.text[this.pos] === "]") {
                this.pos++;
                return { start, end: this.pos, items };
            }
            for (;;) {
                items.push(this.value());
                this.skip();
                const sep = this.text[this.pos++];
                if (sep === "]") return { start, end: this.pos, items };
                if (sep !== ",") throw new Error("comma expected");
            }
        }
        if (c === "\"") {
            const s = this.string();
            return { start: s.start, end: s.end };
        }
        const m = /^[^\s,\]}]+/.exec(this.text.slice(this.pos, this.pos + 64));
        if (!m) throw new Error("value expected");
        this.pos += m[0].length;
        return { start, end: this.pos };
    }
}

/**
 * Offsets [start, end) of the deepest part of `path` found in `text`: an object member's key (with
 * its value when that is a plain value), or an array item. Undefined when the text is not JSON.
 * Multi-line spans are cut at the end of their first line.
 */
export function locateJsonPath(text: string, path: readonly JsonSegment[]): { start: number; end: number } | undefined {
    let root: JsonNode;
    try {
        root = new Scanner(text).value();
    } catch {
        return undefined;
    }
    let node = root;
    let span = { start: root.start, end: Math.min(root.end, root.start + 1) };
    for (const seg of path) {
        if (typeof seg === "string" && node.members) {
            const member = node.members.filter((m) => m.key === seg).pop();
            if (!member) break;
            const plain = !member.value.members && !member.value.items;
            span = { start: member.keyStart, end: plain ? member.value.end : member.keyEnd };
            node = member.value;
        } else if (typeof seg === "number" && node.items) {
            const item = node.items[seg];
            if (!item) break;
            span = { start: item.start, end: item.end };
            node = item;
        } else {
            break;
        }
    }
    const nl = text.indexOf("\n", span.start);
    if (nl >= 0 && nl < span.end) span.end = text[nl - 1] === "\r" ? nl - 1 : nl;
    return span;
}
