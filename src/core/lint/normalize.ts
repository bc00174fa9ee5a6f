// Normalisation with an offset map (first version; to be extended: look-alike folding, separator
// tolerance, traditional → simplified Chinese). Every normalised character remembers the original
// range it came from, so a match in normalised text maps back to the exact original range.
import type { NormalizedText } from "./types.ts";

export interface NormalizeOptions {
    /** Also drop whitespace and punctuation, so "忽 略*以上" reads as "忽略以上" (for obfuscation checks). */
    dropSeparators?: boolean;
}

const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDCFF]/u;

export function normalize(original: string, options: NormalizeOptions = {}): NormalizedText {
    let out = "";
    // origStart[i] / origEnd[i]: original range of normalised UTF-16 unit i.
    const origStart: number[] = [];
    const origEnd: number[] = [];
    for (let i = 0; i < original.length; ) {
        const cp = original.codePointAt(i)!;
        const len = cp > 0xffff ? 2 : 1;
        const ch = original.slice(i, i + len);
        if (!INVISIBLE.test(ch)) {
            let n = ch.normalize("NFKC").toLowerCase();
            if (options.dropSeparators && /^[\s\p{P}\p{S}]+$/u.test(n)) n = "";
            for (let k = 0; k < n.length; k++) {
                out += n[k];
                origStart.push(i);
                origEnd.push(i + len);
            }
        }
        i += len;
    }
    return {
        text: out,
        original,
        toOriginal(start: number, end: number) {
            if (end <= start) {
                const at = start < origStart.length ? origStart[start]! : original.length;
                return { start: at, end: at };
            }
            return { start: origStart[start] ?? original.length, end: origEnd[end - 1] ?? original.length };
        },
    };
}
