// Human-readable numbers for messages and tables.

/** 292800 → "293K", 1_543_714_304 → "1.5B". */
export function formatParameterCount(n: number): string {
    const units: Array<[number, string]> = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, suffix] of units) {
        if (n >= size) {
            const v = n / size;
            const s = v >= 100 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, "");
            return `${s}${suffix}`;
        }
    }
    return String(n);
}

/** 1185376 → "1.1 MB" (binary units, as file managers show them). */
export function formatBytes(n: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let v = n;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return i === 0 ? `${n} B` : `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
