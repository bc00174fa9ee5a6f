// Conversation memory for follow-up requests ("now add tests for it"): the earlier turns of a code
// generation session, and the newest of them that fit a token budget.
//
// A turn is counted as the prompt shows it (prompt.ts renderHistoryTurn: the request and the code
// answered, in a fence) plus the blank line after it; when any turn is kept, the history block's own
// intro and closing line are counted once as well. So `fit(...).tokens` is what the history adds to
// the user message, as far as the counter agrees with itself piecewise.
//
// The class holds plain data only (no events, no storage): the editor persists `toJSON()` and builds a
// new Conversation from it. Turns read back from storage are checked, and malformed ones dropped.
import { historyFrame, renderHistoryTurn, type HistoryEntry } from "./prompt.ts";

export interface Turn {
    requirements: string;
    language?: string;
    /** The code of the answer (the extracted code, as a follow-up prompt shows it), not the raw text. */
    answer: string;
    /** When the turn happened (ms since the epoch). */
    at: number;
}

export const DEFAULT_MAX_TURNS = 20;

function isTurn(t: unknown): t is Turn {
    if (typeof t !== "object" || t === null) return false;
    const o = t as Record<string, unknown>;
    return typeof o.requirements === "string" && typeof o.answer === "string" && typeof o.at === "number" && Number.isFinite(o.at)
        && (o.language === undefined || typeof o.language === "string");
}

function copyTurn(t: Turn): Turn {
    return { requirements: t.requirements, ...(t.language !== undefined ? { language: t.language } : {}), answer: t.answer, at: t.at };
}

/** The history entries of turns, for CodegenRequest.history. */
export function toHistory(turns: readonly Turn[]): HistoryEntry[] {
    return turns.map((t) => ({ requirements: t.requirements, code: t.answer, ...(t.language !== undefined ? { language: t.language } : {}) }));
}

export class Conversation {
    private list: Turn[];
    readonly maxTurns: number;

    constructor(turns?: Turn[], maxTurns: number = DEFAULT_MAX_TURNS) {
        this.maxTurns = Number.isFinite(maxTurns) ? Math.max(0, Math.floor(maxTurns)) : DEFAULT_MAX_TURNS;
        const valid = (Array.isArray(turns) ? turns : []).filter(isTurn).map(copyTurn);
        this.list = this.maxTurns === 0 ? [] : valid.slice(-this.maxTurns);
    }

    /** Oldest first. */
    get turns(): readonly Turn[] {
        return this.list.map(copyTurn);
    }

    get length(): number {
        return this.list.length;
    }

    /** Adds the newest turn; beyond maxTurns the oldest is forgotten. */
    add(turn: Turn): void {
        if (!isTurn(turn)) throw new TypeError("A conversation turn needs requirements and answer (strings) and at (a time in ms).");
        if (this.maxTurns === 0) return;
        this.list.push(copyTurn(turn));
        if (this.list.length > this.maxTurns) this.list.splice(0, this.list.length - this.maxTurns);
    }

    clear(): void {
        this.list = [];
    }

    /**
     * The newest turns that fit in `budget` tokens (oldest dropped first), oldest first. A turn that
     * does not fit ends the search: older turns are dropped even if one of them is smaller, so the
     * model never sees a gap in the conversation.
     */
    fit(budget: number, count: (s: string) => number): { turns: Turn[]; dropped: number; tokens: number } {
        const limit = Number.isFinite(budget) ? Math.max(0, Math.floor(budget)) : 0;
        if (this.list.length === 0) return { turns: [], dropped: 0, tokens: 0 };
        const language = this.list[this.list.length - 1]!.language ?? "";
        let used = count(historyFrame(language));
        if (used > limit) return { turns: [], dropped: this.list.length, tokens: 0 };
        const kept: Turn[] = [];
        for (let i = this.list.length - 1; i >= 0; i--) {
            const t = this.list[i]!;
            const cost = count(renderHistoryTurn(toHistory([t])[0]!, language) + "\n\n");
            if (used + cost > limit) break;
            used += cost;
            kept.unshift(copyTurn(t));
        }
        if (kept.length === 0) return { turns: [], dropped: this.list.length, tokens: 0 };
        return { turns: kept, dropped: this.list.length - kept.length, tokens: used };
    }

    toJSON(): Turn[] {
        return this.list.map(copyTurn);
    }
}
