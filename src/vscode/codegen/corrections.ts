// "Correct this answer" from the editor: after Accept, the accepted code's range is followed through
// the document's changes for a while. When the user changed it, the range's text is stored as the
// run's correction (feedback.jsonl) when the document is saved or closed, when tracking ends (another
// Accept, or TRACK_MS after the last edit) or on flush(). Only the latest text is stored, once per change.
import * as vscode from "vscode";
import type { Logger } from "../../core/logger.ts";

/** How long after the last edit an accepted range is still followed. */
const TRACK_MS = 10 * 60_000;

interface Tracked {
    runId: string;
    uri: string;
    start: number;
    end: number;
    accepted: string;
    /** The text last stored (or the accepted text). */
    stored: string;
    edited: boolean;
    timer: ReturnType<typeof setTimeout>;
}

export interface CorrectionEvent {
    runId: string;
    correction: string;
}

export class CorrectionTracker implements vscode.Disposable {
    private tracked: Tracked | undefined;
    private readonly disposables: vscode.Disposable[] = [];
    private readonly emitter = new vscode.EventEmitter<CorrectionEvent>();
    /** Fires after a correction was stored. */
    readonly onDidStore = this.emitter.event;

    constructor(
        private readonly store: (runId: string, correction: string) => Promise<void>,
        private readonly logger: Logger,
    ) {
        this.disposables.push(
            this.emitter,
            vscode.workspace.onDidChangeTextDocument((e) => this.changed(e)),
            vscode.workspace.onDidSaveTextDocument((d) => {
                if (this.tracked && d.uri.toString() === this.tracked.uri) void this.flush();
            }),
            vscode.workspace.onDidCloseTextDocument((d) => {
                if (this.tracked && d.uri.toString() === this.tracked.uri) void this.stop();
            }),
        );
    }

    /** Starts following the code accepted into `uri` at [start, end) (stops following the previous one). */
    async track(runId: string, uri: vscode.Uri, start: number, end: number, accepted: string): Promise<void> {
        await this.stop();
        this.tracked = { runId, uri: uri.toString(), start, end, accepted, stored: accepted, edited: false, timer: this.timer() };
    }

    /** The tracked range now (for tests and the pane). */
    get current(): { runId: string; uri: string; start: number; end: number } | undefined {
        const t = this.tracked;
        return t ? { runId: t.runId, uri: t.uri, start: t.start, end: t.end } : undefined;
    }

    /** Stores the edited text now when it differs from what was accepted (or last stored). */
    async flush(): Promise<CorrectionEvent | undefined> {
        const t = this.tracked;
        if (!t || !t.edited) return undefined;
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === t.uri);
        if (!doc) return undefined;
        const text = doc.getText().slice(t.start, t.end);
        // Unchanged, or gone (an Undo right after Accept is not a correction).
        if (text === t.stored || text.trim() === "") return undefined;
        t.stored = text;
        try {
            await this.store(t.runId, text);
        } catch (e) {
            this.logger.warn(`Could not store the correction of run ${t.runId}: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        }
        const ev = { runId: t.runId, correction: text };
        this.emitter.fire(ev);
        return ev;
    }

    /** Stores any pending correction and stops following. */
    async stop(): Promise<void> {
        const t = this.tracked;
        if (!t) return;
        await this.flush();
        clearTimeout(t.timer);
        if (this.tracked === t) this.tracked = undefined;
    }

    /** Stops following without storing anything (the history was cleared). */
    forget(): void {
        if (this.tracked) clearTimeout(this.tracked.timer);
        this.tracked = undefined;
    }

    private timer(): ReturnType<typeof setTimeout> {
        const t = setTimeout(() => void this.stop(), TRACK_MS);
        t.unref?.();
        return t;
    }

    /** Moves or grows the range with each change (changes arrive in an order where each applies to the result of the previous). */
    private changed(e: vscode.TextDocumentChangeEvent): void {
        const t = this.tracked;
        if (!t || e.document.uri.toString() !== t.uri || e.contentChanges.length === 0) return;
        let touched = false;
        for (const c of e.contentChanges) {
            const cs = c.rangeOffset;
            const ce = c.rangeOffset + c.rangeLength;
            const delta = c.text.length - c.rangeLength;
            if (ce < t.start || (ce === t.start && c.rangeLength > 0)) {
                // Before the range: it moves.
                t.start += delta;
                t.end += delta;
            } else if (cs > t.end) {
                // After it: nothing to do.
            } else {
                // Inside, touching or overlapping: the range grows to cover the change.
                const newStart = Math.min(t.start, cs);
                const newEnd = Math.max(t.end + delta, cs + c.text.length);
                t.start = newStart;
                t.end = newEnd;
                touched = true;
            }
        }
        if (touched) {
            t.edited = true;
            clearTimeout(t.timer);
            t.timer = this.timer();
        }
    }

    dispose(): void {
        if (this.tracked) clearTimeout(this.tracked.timer);
        this.tracked = undefined;
        for (const d of this.disposables.splice(0)) d.dispose();
    }
}
