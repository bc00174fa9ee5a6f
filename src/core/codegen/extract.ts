// Pulls the code out of a model's answer: fenced code blocks (CommonMark rules for ``` and ~~~ fences,
// up to 3 spaces of indentation, longer fences, info strings), an answer cut off inside a block, or an
// answer with no fence at all.
import { normalizeLanguage } from "./languages.ts";

export interface CodeBlock {
    /** The normalized language of the info string's first word (see normalizeLanguage); undefined when the fence has no tag. */
    language?: string;
    /** The lines between the fences, line ends normalized to "\n", the fence's indentation removed; no final line break. */
    code: string;
    /** false when the answer ended before the closing fence (e.g. at the token limit). */
    closed: boolean;
    /** Offset of the opening fence line in the answer. */
    start: number;
    /** Offset just past the closing fence (before its line break), or the answer's length when not closed. */
    end: number;
}

export interface ExtractedCode {
    /** The chosen blocks' code, without leading/trailing blank lines, joined with a blank line; no final line break. */
    code: string;
    /** The normalized language of the chosen code, when known. */
    language?: string;
    /** Every fenced block in the answer, in order. */
    blocks: CodeBlock[];
    /** false when the answer had no fence and `code` is the answer itself. */
    fenced: boolean;
    /** true when a chosen block was cut off before its closing fence. */
    truncated: boolean;
}

interface Line {
    text: string; // without its line break
    start: number;
    end: number; // offset of the line break (or the answer's end)
}

function splitLines(text: string): Line[] {
    const lines: Line[] = [];
    const re = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        lines.push({ text: text.slice(start, m.index), start, end: m.index });
        start = m.index + m[0].length;
    }
    lines.push({ text: text.slice(start), start, end: text.length });
    return lines;
}

const OPENING_FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/** The language tag of an info string: its first word ("python" in `python title="x"`), braces/dots/`:file` dropped. */
function infoLanguage(info: string): string | undefined {
    const word = info.trim().split(/\s+/)[0] ?? "";
    const tag = word.replace(/^[{.]+/, "").replace(/\}+$/, "").split(":")[0] ?? "";
    return tag ? normalizeLanguage(tag) : undefined;
}

function parseBlocks(answer: string): CodeBlock[] {
    const lines = splitLines(answer);
    const blocks: CodeBlock[] = [];
    let i = 0;
    while (i < lines.length) {
        const open = lines[i]!;
        const m = OPENING_FENCE.exec(open.text);
        const indent = m?.[1]?.length ?? 0;
        const fence = m?.[2] ?? "";
        const info = m?.[3] ?? "";
        // A backtick fence's info string cannot contain a backtick (that is inline code such as ```x```).
        if (!m || (fence[0] === "`" && info.includes("`"))) {
            i++;
            continue;
        }
        const closing = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
        const content: string[] = [];
        let closedAt: Line | undefined;
        let j = i + 1;
        for (; j < lines.length; j++) {
            const line = lines[j]!;
            if (closing.test(line.text)) {
                closedAt = line;
                break;
            }
            content.push(line.text.replace(new RegExp(`^ {0,${indent}}`), ""));
        }
        if (!closedAt) {
            // Cut off while writing the closing fence ("``" as the very last line): not code.
            const last = content[content.length - 1];
            if (last !== undefined && last.trim() !== "" && [...last.trim()].every((c) => c === fence[0])) content.pop();
        }
        const language = infoLanguage(info);
        blocks.push({
            ...(language ? { language } : {}),
            code: content.join("\n"),
            closed: closedAt !== undefined,
            start: open.start,
            end: closedAt ? closedAt.end : answer.length,
        });
        i = j + 1;
    }
    return blocks;
}

function trimBlankLines(code: string): string {
    return code.replace(/^(?:[ \t]*\n)+/, "").replace(/(?:\n[ \t]*)+$/, "");
}

/** A first line that only announces the code ("Here is the code:", "Sure! Here's the function:"). */
const LEAD_IN = /^(?:(?:sure|certainly|of course|okay|ok)\b[^\n]*?[.!,]\s*)?(?:here(?:'s| is| are)|below is|the following is)\b[^\n]*:\s*$/i;

/**
 * Extracts the code from a model's answer. With `options.language`, blocks tagged with that language
 * (any alias: "py" matches "python") are preferred, then untagged blocks, then all blocks; without it,
 * all blocks are taken. Chosen blocks are joined with a blank line. An answer with no fence is returned
 * trimmed, less an obvious lead-in line such as "Here is the code:".
 */
export function extractCode(answer: string, options?: { language?: string }): ExtractedCode {
    const blocks = parseBlocks(answer);
    const target = normalizeLanguage(options?.language);

    if (blocks.length === 0) {
        let code = answer.replace(/\r\n?/g, "\n").trim();
        const firstBreak = code.indexOf("\n");
        if (firstBreak > 0 && LEAD_IN.test(code.slice(0, firstBreak))) code = code.slice(firstBreak + 1).trim();
        return { code, ...(target ? { language: target } : {}), blocks, fenced: false, truncated: false };
    }

    let chosen = blocks;
    if (target) {
        const matching = blocks.filter((b) => b.language === target);
        const untagged = blocks.filter((b) => b.language === undefined);
        chosen = matching.length > 0 ? matching : untagged.length > 0 ? untagged : blocks;
    }
    const code = chosen
        .map((b) => trimBlankLines(b.code))
        .filter((c) => c !== "")
        .join("\n\n");
    const tags = new Set(chosen.map((b) => b.language).filter((l): l is string => l !== undefined));
    const language = target && (tags.size === 0 || tags.has(target)) ? target : tags.size === 1 ? [...tags][0] : undefined;
    return { code, ...(language ? { language } : {}), blocks, fenced: true, truncated: chosen.some((b) => !b.closed) };
}
