// Stop sequences matched on the generated text itself, independent of how the tokenizer splits it
// (node-llama-cpp's own stop triggers miss a trigger with a leading space on SentencePiece models).
// Text that might be the start of a stop sequence is held back until it is known not to be one, so a
// stop sequence never reaches the stream.
export class StopMatcher {
    private held = "";
    private done = false;

    constructor(private readonly stops: readonly string[]) {}

    get stopped(): boolean {
        return this.done;
    }

    /** Adds generated text; returns the text that is safe to emit now. */
    push(chunk: string): string {
        if (this.done) return "";
        const text = this.held + chunk;
        let cut = -1;
        for (const s of this.stops) {
            const i = text.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            this.done = true;
            this.held = "";
            return text.slice(0, cut);
        }
        const keep = this.longestPartialSuffix(text);
        this.held = text.slice(text.length - keep);
        return text.slice(0, text.length - keep);
    }

    /** At the end of generation: the held-back text (it did not turn into a stop sequence). */
    flush(): string {
        const rest = this.done ? "" : this.held;
        this.held = "";
        return rest;
    }

    private longestPartialSuffix(text: string): number {
        let best = 0;
        for (const s of this.stops) {
            for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
                if (text.endsWith(s.slice(0, n))) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
