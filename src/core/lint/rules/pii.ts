// Personal-information rules: Chinese resident ID, unified social credit code, bank card, Chinese mobile,
// email, IPv4, IPv6, phone, IBAN and US SSN. Every rule VALIDATES what it matches (check digits, Luhn,
// mod-97, calendar dates, octet ranges, IPv6 grammar), so look-alikes such as order numbers, hashes,
// version numbers and dates are not reported.
//
// Decisions (documented here because tests pin them):
//   - Full-width characters (０-９, Ａ-Ｚ, ＋, －, （, ）, ＠, ideographic space) are folded one-to-one by
//     `foldWidth`, which keeps UTF-16 offsets unchanged, so offsets need no mapping and the rules do not
//     depend on the (evolving) look-alike folding of normalize.ts.
//   - Masks keep the last 4 letters/digits and replace every other letter/digit by `*`, keeping
//     separators: "6222 0212 3456 1234" → "**** **** **** 1234".
//   - IPv4 after a version word ("version 10.0.0.1", "v1.2.3.4", "版本 1.2.3.4") is not reported; a bare
//     "1.2.3.4" is. Loopback / private / unspecified addresses are reported with a lower confidence and
//     say so in the message.
//   - Phones need a "+"/"00" international prefix, a parenthesised area code or separators; ambiguous
//     shapes (two groups, or groups like thousands "12 345 678") need a phone word nearby. Numbers valid as
//     Chinese mobiles, SSNs (ddd-dd-dddd) and dates are left to their own rules / ignored.
//   - Bank cards: 13–19 digits (12 only with a card word nearby: Maestro), Luhn valid, first digit not 0,
//     not all one digit; 13-digit numbers must start with 4 (Visa), 14-digit with 3 (Diners), numbers
//     starting with 1 must be 15 digits (UATP) — this keeps millisecond timestamps out.
//   - Emails at reserved example domains (example.com, .test, .invalid, …) are not reported.
import type { Fix, Rule, RuleContext, RuleFinding } from "../types.ts";

// ---------------------------------------------------------------------------------------------------
// Shared helpers

/** Folds full-width ASCII (U+FF01–U+FF5E) and the ideographic space to ASCII, one code unit for one. */
let lastFoldIn = "";
let lastFoldOut = "";
/** "Email address" → "email address"; names and acronyms ("Chinese …", "IBAN", "US SSN") keep their case. */
function lowerFirstWord(label: string): string {
    return /^[A-Z][a-z]/.test(label) && !/^Chinese\b/.test(label) ? label[0]!.toLowerCase() + label.slice(1) : label;
}

export function foldWidth(s: string): string {
    // Every PII rule folds the same text in turn: remember the last one.
    if (s === lastFoldIn) return lastFoldOut;
    lastFoldIn = s;
    lastFoldOut = s.replace(/[\uFF01-\uFF5E\u3000]/g, (c) => (c === "\u3000" ? " " : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
    return lastFoldOut;
}

/** Keeps the last `keep` letters/digits, replaces the other letters/digits by `*`, keeps everything else. */
export function maskKeepLast(value: string, keep = 4): string {
    const chars = Array.from(value);
    let kept = 0;
    for (let i = chars.length - 1; i >= 0; i--) {
        const c = chars[i]!;
        if (!/[\p{L}\p{N}]/u.test(c)) continue;
        if (kept < keep) kept++;
        else chars[i] = "*";
    }
    return chars.join("");
}

const CONTEXT_WINDOW = 30;

/** True when `words` matches within ~30 characters before or after [start, end). */
export function hasContext(text: string, start: number, end: number, words: RegExp, window = CONTEXT_WINDOW): boolean {
    const before = text.slice(Math.max(0, start - window), start);
    const after = text.slice(end, end + window);
    return words.test(before) || words.test(after);
}

function luhnValid(digits: string): boolean {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
        let d = digits.charCodeAt(digits.length - 1 - i) - 48;
        if (i % 2 === 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return sum % 10 === 0;
}

function validDate(y: number, m: number, d: number): boolean {
    if (m < 1 || m > 12 || d < 1) return false;
    const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
    return d <= days;
}

interface TypeInfo {
    ruleId: string;
    label: string; // plain-language name for the message
    placeholder: string;
    variable: string;
}

function fixesFor(info: TypeInfo, start: number, end: number, value: string): Fix[] {
    const masked = maskKeepLast(value);
    return [
        { kind: "mask", title: `Mask as ${masked}`, start, end, replacement: masked },
        { kind: "placeholder", title: `Replace with ${info.placeholder}`, start, end, replacement: info.placeholder },
        { kind: "variable", title: `Extract into {{${info.variable}}}`, start, end, replacement: `{{${info.variable}}}` },
        { kind: "remove", title: `Remove the ${lowerFirstWord(info.label)}`, start, end, replacement: "" },
    ];
}

function finding(info: TypeInfo, text: string, start: number, end: number, detail: string, confidence: number): RuleFinding {
    const value = text.slice(start, end);
    return {
        ruleId: info.ruleId,
        category: "pii",
        message: `${info.label} ${maskKeepLast(value)}${detail ? ` (${detail})` : ""} — personal information; mask it, use a placeholder or a variable.`,
        start,
        end,
        confidence: Math.round(confidence * 100) / 100,
        fixes: fixesFor(info, start, end, value),
    };
}

function rule(id: string, description: string, check: (ctx: RuleContext) => RuleFinding[]): Rule {
    return { id, category: "pii", defaultSeverity: "warning", description, check };
}

// ---------------------------------------------------------------------------------------------------
// Chinese resident ID (GB 11643-1999)

const CN_PROVINCES = new Set([
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
]);
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** The check character (0-9 or X) of the first 17 digits of a resident ID. */
export function cnIdCheckChar(first17: string): string {
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
    return ID_CHECK[sum % 11]!;
}

export function isValidCnResidentId(id: string, now = new Date()): boolean {
    if (!/^\d{17}[\dXx]$/.test(id)) return false;
    if (!CN_PROVINCES.has(Number(id.slice(0, 2)))) return false;
    const y = Number(id.slice(6, 10));
    const m = Number(id.slice(10, 12));
    const d = Number(id.slice(12, 14));
    if (y < 1900 || y > now.getFullYear() || !validDate(y, m, d)) return false;
    if (Date.UTC(y, m - 1, d) > now.getTime()) return false;
    return cnIdCheckChar(id.slice(0, 17)) === id[17]!.toUpperCase();
}

const ID_INFO: TypeInfo = { ruleId: "pii-cn-resident-id", label: "Chinese resident ID number", placeholder: "[身份证号]", variable: "id_number" };
const ID_CONTEXT = /身份证|证件号|公民身份|身份号码|\bID\b|\bid card\b|\bidentity\b|\bresident\b/i;

function checkCnId(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    for (const m of text.matchAll(/(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g)) {
        if (!isValidCnResidentId(m[0])) continue;
        const start = m.index;
        const end = start + m[0].length;
        const context = hasContext(text, start, end, ID_CONTEXT);
        out.push(finding(ID_INFO, ctx.text, start, end, "valid check digit; personal information under PIPL", context ? 0.97 : 0.85));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015)

const USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters of a USCC (undefined if a character is not in the charset). */
export function usccCheckChar(first17: string): string | undefined {
    let sum = 0;
    for (let i = 0; i < 17; i++) {
        const v = USCC_CHARS.indexOf(first17[i]!);
        if (v < 0) return undefined;
        sum += v * USCC_WEIGHTS[i]!;
    }
    return USCC_CHARS[(31 - (sum % 31)) % 31]!;
}

export function isValidUscc(code: string): boolean {
    // 1: registration authority (1-9, A, N, Y); 2: organisation type (digit); 3-8: region code; 9-17: organisation code.
    if (!/^[1-9ANY][1-9]\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) return false;
    return usccCheckChar(code.slice(0, 17)) === code[17];
}

const USCC_INFO: TypeInfo = { ruleId: "pii-cn-uscc", label: "Unified social credit code", placeholder: "[统一社会信用代码]", variable: "credit_code" };
const USCC_CONTEXT = /信用代码|社会信用|营业执照|税号|纳税人识别号|\bUSCC\b|credit code/i;

function checkUscc(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    for (const m of text.matchAll(/(?<![0-9A-Za-z])[0-9A-Z]{18}(?![0-9A-Za-z])/g)) {
        const code = m[0];
        if (!isValidUscc(code)) continue;
        if (/^\d{17}[\dX]$/.test(code) && isValidCnResidentId(code)) continue; // reported as a resident ID
        const start = m.index;
        const end = start + code.length;
        const context = hasContext(text, start, end, USCC_CONTEXT);
        out.push(finding(USCC_INFO, ctx.text, start, end, "valid check character; identifies an organisation", context ? 0.95 : 0.75));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Bank card

const CARD_CONTEXT = /卡号|银行卡|信用卡|借记卡|储蓄卡|\bcards?\b|\bcc\b|credit|debit|\bvisa\b|mastercard|\bamex\b|unionpay|银联|\bpan\b|account/i;
const NOT_CARD_CONTEXT = /订单|单号|流水号|运单|快递|\border\b|invoice|tracking|\bref\b|reference|serial|\bsku\b|isbn|timestamp|时间戳/i;
const CARD_INFO: TypeInfo = { ruleId: "pii-bank-card", label: "Bank card number", placeholder: "[银行卡号]", variable: "bank_card_number" };

function cardIssuer(digits: string): string | undefined {
    if (/^62/.test(digits)) return "China UnionPay";
    if (/^4/.test(digits)) return "Visa";
    if (/^(5[1-5]|2[2-7])/.test(digits)) return "Mastercard";
    if (/^3[47]/.test(digits)) return "American Express";
    if (/^35/.test(digits)) return "JCB";
    if (/^(6011|65|64[4-9])/.test(digits)) return "Discover";
    if (/^3[0689]/.test(digits)) return "Diners Club";
    return undefined;
}

/** Luhn and a plausible issuer number for 12–19 digits (see the decisions at the top of the file). */
export function isPlausibleCard(digits: string): boolean {
    const n = digits.length;
    if (n < 12 || n > 19 || !/^\d+$/.test(digits)) return false;
    if (digits[0] === "0" || /^(\d)\1+$/.test(digits)) return false;
    if (n === 13 && digits[0] !== "4") return false;
    if (n === 14 && digits[0] !== "3") return false;
    if (digits[0] === "1" && n !== 15) return false;
    return luhnValid(digits);
}

function checkCard(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    const re =
        /(?<![0-9A-Za-z+\-.,_/])(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}(?:\1\d{1,7})?|\d{4}([ -])\d{6}\2\d{4,5})(?![0-9A-Za-z_]|[.,\-/]\d)/g;
    for (const m of text.matchAll(re)) {
        const digits = m[0].replace(/\D/g, "");
        if (!isPlausibleCard(digits)) continue;
        const start = m.index;
        const end = start + m[0].length;
        const context = hasContext(text, start, end, CARD_CONTEXT);
        if (digits.length === 12 && !context) continue; // 12-digit Maestro only with a card word
        if (!context && hasContext(text, start, end, NOT_CARD_CONTEXT)) continue;
        if (digits.length === 18 && isValidCnResidentId(digits)) continue; // reported as a resident ID
        const issuer = cardIssuer(digits);
        out.push(finding(CARD_INFO, ctx.text, start, end, `${issuer ? `${issuer}, ` : ""}passes the Luhn check`, context ? 0.95 : 0.7));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Chinese mobile

const CN_MOBILE_INFO: TypeInfo = { ruleId: "pii-cn-mobile", label: "Chinese mobile number", placeholder: "[手机号]", variable: "mobile_number" };
const PHONE_WORDS = /手机|电话|联系|致电|传真|短信|微信|\bphone\b|\bmobile\b|\bcell\b|\btel\b|telephone|\bfax\b|\bcall\b|\bcontact\b|\bsms\b|whatsapp|\bdial\b/i;
const CN_MOBILE_RE = /(?<![\d\w+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?)\d{4}(?:[ -]?)\d{4}(?![\d\w])/g;

function cnMobileMatches(text: string): Array<{ start: number; end: number }> {
    const out: Array<{ start: number; end: number }> = [];
    for (const m of text.matchAll(CN_MOBILE_RE)) {
        // Separators inside the number must be all the same (138 0013 8000, 138-0013-8000) or absent.
        const core = m[0].replace(/^(?:\+|00)?86[ -]?/, "");
        const seps = core.replace(/\d/g, "");
        if (seps.length !== 0 && seps.length !== 2) continue;
        if (seps.length === 2 && seps[0] !== seps[1]) continue;
        out.push({ start: m.index, end: m.index + m[0].length });
    }
    return out;
}

function checkCnMobile(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    return cnMobileMatches(text).map(({ start, end }) => {
        const context = hasContext(text, start, end, PHONE_WORDS);
        return finding(CN_MOBILE_INFO, ctx.text, start, end, "", context ? 0.95 : 0.8);
    });
}

// ---------------------------------------------------------------------------------------------------
// Email

const EMAIL_INFO: TypeInfo = { ruleId: "pii-email", label: "Email address", placeholder: "[EMAIL]", variable: "email_address" };
const EMAIL_RE =
    /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g;
const EMAIL_CONTEXT = /邮箱|邮件|电邮|e-?mail|\bmail\b|contact/i;
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/i;
const FILE_TLD = /\.(?:png|jpe?g|gif|svg|webp|ico|bmp|css|js|ts|json|md)$/i;

function checkEmail(ctx: RuleContext): RuleFinding[] {
    const out: RuleFinding[] = [];
    if (!ctx.text.includes("@") && !ctx.text.includes("\uFF20")) return out;
    const text = foldWidth(ctx.text);
    for (const m of text.matchAll(EMAIL_RE)) {
        const domain = m[0].slice(m[0].indexOf("@") + 1);
        if (RESERVED_DOMAIN.test(domain) || FILE_TLD.test(domain)) continue;
        if (/\.\./.test(m[0])) continue;
        const start = m.index;
        const end = start + m[0].length;
        out.push(finding(EMAIL_INFO, ctx.text, start, end, "", hasContext(text, start, end, EMAIL_CONTEXT) ? 0.97 : 0.9));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// IPv4 / IPv6

const IP_INFO: TypeInfo = { ruleId: "pii-ipv4", label: "IP address", placeholder: "[IP]", variable: "ip_address" };
const IPV6_INFO: TypeInfo = { ruleId: "pii-ipv6", label: "IPv6 address", placeholder: "[IP]", variable: "ip_address" };
const IP_CONTEXT = /\bIP\b|\bip_|address|地址|host|server|client|\bremote\b|\bsrc\b|\bdst\b/i;
/** A version word right before the number: "version 10.0.0.1", "v1.2.3.4", "版本 1.2.3.4". */
const VERSION_BEFORE = /(?:\bversion|\bver\.?|\bv|\brelease|\bbuild|\bfirmware|版本号?|\bFW)\s*[:：=]?\s*$/i;

export function parseIPv4(s: string): number[] | undefined {
    const parts = s.split(".");
    if (parts.length !== 4) return undefined;
    const out: number[] = [];
    for (const p of parts) {
        if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return undefined;
        const n = Number(p);
        if (n > 255) return undefined;
        out.push(n);
    }
    return out;
}

function ipv4Kind(o: number[]): string | undefined {
    const [a = 0, b = 0] = o;
    if (a === 127) return "loopback address, usually not personal";
    if (o.every((x) => x === 0)) return "unspecified address, usually not personal";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private network address";
    if (a === 169 && b === 254) return "link-local address";
    return undefined;
}

function checkIPv4(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    for (const m of text.matchAll(/(?<![\w.:-])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w-]|\.\d)/g)) {
        const octets = parseIPv4(m[0]);
        if (!octets) continue;
        const start = m.index;
        const end = start + m[0].length;
        if (VERSION_BEFORE.test(text.slice(Math.max(0, start - 16), start))) continue;
        const kind = ipv4Kind(octets);
        const context = hasContext(text, start, end, IP_CONTEXT);
        const confidence = kind?.includes("usually not") ? 0.4 : kind ? 0.6 : context ? 0.95 : 0.8;
        out.push(finding(IP_INFO, ctx.text, start, end, kind ?? "can identify a person or device", confidence));
    }
    return out;
}

/** Parses an IPv6 address (with :: compression and an optional trailing IPv4); returns its 8 groups. */
export function parseIPv6(s: string): number[] | undefined {
    let head = s;
    const tail: number[] = [];
    const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
    if (v4) {
        const o = parseIPv4(v4[1]!);
        if (!o) return undefined;
        tail.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
        head = s.slice(0, v4.index + 1); // ends with ":"
        if (!head.endsWith("::")) head = head.slice(0, -1);
    }
    const halves = head.split("::");
    if (halves.length > 2) return undefined;
    const parse = (part: string): number[] | undefined => {
        if (part === "") return [];
        const groups = part.split(":");
        const out: number[] = [];
        for (const g of groups) {
            if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
            out.push(parseInt(g, 16));
        }
        return out;
    };
    const left = parse(halves[0]!);
    const right = halves.length === 2 ? parse(halves[1]!) : [];
    if (!left || !right) return undefined;
    const total = left.length + right.length + tail.length;
    if (halves.length === 1) return total === 8 ? [...left, ...tail] : undefined;
    if (total > 7) return undefined;
    return [...left, ...new Array<number>(8 - total).fill(0), ...right, ...tail];
}

function checkIPv6(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    const re = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.]+)?(?![\w:]|\.\w)/g;
    for (const m of text.matchAll(re)) {
        const addr = m[0].replace(/%[\w.]+$/, "");
        const groups = parseIPv6(addr);
        if (!groups) continue;
        if (groups.every((g) => g === 0)) continue; // "::" alone
        if (addr.includes("::") && !/\d/.test(addr)) continue; // "cafe::face", "dead::beef": code, not addresses
        const start = m.index;
        const end = start + m[0].length;
        const loopback = groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
        const linkLocal = (groups[0]! & 0xffc0) === 0xfe80;
        const detail = loopback ? "loopback address, usually not personal" : linkLocal ? "link-local address" : "can identify a person or device";
        const context = hasContext(text, start, end, IP_CONTEXT);
        out.push(finding(IPV6_INFO, ctx.text, start, end, detail, loopback ? 0.4 : linkLocal ? 0.6 : context ? 0.95 : 0.85));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Phone (international and common national formats)

const PHONE_INFO: TypeInfo = { ruleId: "pii-phone", label: "Phone number", placeholder: "[PHONE]", variable: "phone_number" };
const NOT_PHONE_CONTEXT = /订单|单号|流水号|驾驶证|护照|\blicen[cs]e\b|passport|\border\b|invoice|tracking|\bref\b|reference|serial|\bsku\b|isbn|version|版本|\bbuild\b|\bid\b|amount|price|total|\$|€|¥/i;
const PHONE_RE =
    /(?<![\w+\-./@#$%&=()]|\d:)(?:(?<cc>\+\d{1,3}|00\d{1,3})[ .-]?)?(?:\((?<area>\d{1,5})\)[ .-]?)?(?<body>\d{1,12}(?:[ .-]\d{1,8})?(?:(?<sep>[ .-])\d{1,8}(?:\k<sep>\d{1,8}){0,4})?)(?:[ ]?(?:x|ext\.?|#)[ ]?(?<ext>\d{1,6}))?(?![\w@]|[.\-/:]\d)/g;

function looksLikeDate(groups: string[]): boolean {
    const [a, b, c] = groups.map(Number) as [number, number, number];
    if (groups.length < 3) return false;
    const [ga, gb, gc] = groups as [string, string, string];
    if (ga.length === 4 && gb.length <= 2 && gc.length <= 2) return validDate(a, b, c);
    if (gc.length === 4 && ga.length <= 2 && gb.length <= 2) return validDate(c, b, a) || validDate(c, a, b);
    return false;
}

function checkPhone(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    const mobiles = cnMobileMatches(text);
    for (const m of text.matchAll(PHONE_RE)) {
        const g = m.groups ?? {};
        const cc = g.cc;
        const area = g.area;
        const body = g.body ?? "";
        const start = m.index;
        const end = start + m[0].length;
        const groups = body.split(/[ .-]/);
        const digits = (cc ?? "").replace(/\D/g, "") + (area ?? "") + groups.join("");
        const international = cc !== undefined;
        const nationalDigits = digits.length - (cc ? cc.replace(/\D/g, "").length : 0);
        if (international ? digits.length < 8 || digits.length > 17 : digits.length < 7 || digits.length > 12) continue;
        if (international && nationalDigits < 6) continue;
        if (groups.length + (area ? 1 : 0) < 2 && !international) {
            // Needs separators or a + — or, written as bare digits, a phone word nearby and a national
            // shape: a NANP number (NXX NXX XXXX) or a 10–11 digit number with a trunk 0.
            const bare = groups[0] ?? "";
            const nanp = /^1?[2-9]\d{2}[2-9]\d{6}$/.test(bare) && !/^1?\d{3}[2-9]11/.test(bare);
            const trunk = /^0\d{9,10}$/.test(bare);
            if (!((nanp || trunk) && hasContext(text, start, end, PHONE_WORDS))) continue;
        }
        if (groups.filter((x) => x.length === 1).length > 1) continue; // "1 2 3 4 5 6 7"
        if (mobiles.some((r) => r.start < end && start < r.end)) continue; // pii-cn-mobile
        const before = text.slice(Math.max(0, start - 16), start);
        if (VERSION_BEFORE.test(before)) continue;
        const context = hasContext(text, start, end, PHONE_WORDS);
        if (!context && hasContext(text, start, end, NOT_PHONE_CONTEXT)) continue;
        if (!international && !area) {
            if (/^\d{3}-\d{2}-\d{4}$/.test(body)) continue; // SSN shape: pii-us-ssn
            if (looksLikeDate(groups)) continue;
            const dotted = /^[\d.]+$/.test(body);
            if (dotted && groups.length === 4 && parseIPv4(body)) continue; // an IPv4 address
            // 1.2.3 / 10.12.15.8 are versions; 01.84.17.61.18 (five pairs with a trunk 0, the French style) is a phone number next to a phone word.
            const frenchStyle = groups.length === 5 && groups.every((x) => x.length === 2) && body.startsWith("0");
            // Groups of one or two digits only: dotted they are versions (the French style needs a phone word);
            // space-separated they are as often hex dumps or scores ("47 47 55 46") and need a phone word;
            // dash-separated ("71-33-52-22") they are phone numbers.
            const pairsOnly = groups.every((x) => x.length <= 2);
            if (pairsOnly && dotted && !(frenchStyle && context)) continue;
            if (pairsOnly && /^[\d ]+$/.test(body) && !context) continue;
            const thousands = groups.length >= 2 && groups[0]!.length <= 3 && groups.slice(1).every((x) => x.length === 3);
            const twoGroups = groups.length === 2;
            const trunk = body.startsWith("0") && digits.length >= 9;
            if ((thousands || twoGroups) && !trunk && !context) continue;
        }
        const e164 = international && cc.startsWith("+");
        const confidence = context ? 0.95 : e164 || area ? 0.8 : 0.65;
        out.push(finding(PHONE_INFO, ctx.text, start, end, "", confidence));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// IBAN

/** IBAN lengths per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Record<string, number> = {
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
    DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
    HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
    LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
    RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
    VG: 24, XK: 20,
};

export function ibanMod97(compact: string): number {
    const rearranged = compact.slice(4) + compact.slice(0, 4);
    let rem = 0;
    for (const ch of rearranged.toUpperCase()) {
        const v = ch >= "A" && ch <= "Z" ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
        rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem;
}

export function isValidIban(compact: string): boolean {
    const c = compact.toUpperCase();
    const len = IBAN_LENGTHS[c.slice(0, 2)];
    return len !== undefined && c.length === len && /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(c) && ibanMod97(c) === 1;
}

const IBAN_INFO: TypeInfo = { ruleId: "pii-iban", label: "IBAN", placeholder: "[IBAN]", variable: "iban" };
const IBAN_CONTEXT = /\bIBAN\b|account|\bbank\b|transfer|wire|账户|账号|银行/i;

function checkIban(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    for (const m of text.matchAll(/(?<![A-Za-z0-9])([A-Za-z]{2})\d{2}(?: ?[A-Za-z0-9]{1,4})+/g)) {
        const len = IBAN_LENGTHS[m[1]!.toUpperCase()];
        if (len === undefined) continue;
        // Walk the candidate until `len` letters/digits are consumed; spaces only between groups of 4.
        const s = m[0];
        let count = 0;
        let i = 0;
        let spaced = false;
        let groupsOk = true;
        for (; i < s.length && count < len; i++) {
            if (s[i] === " ") {
                spaced = true;
                if (count % 4 !== 0) groupsOk = false;
            } else count++;
        }
        if (count < len || !groupsOk) continue;
        const candidate = s.slice(0, i);
        if (spaced && !/^[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4})*(?: [A-Za-z0-9]{1,4})?$/.test(candidate)) continue;
        const next = text[m.index + i];
        if (next !== undefined && /[A-Za-z0-9]/.test(next)) continue; // longer than the country's length
        const compact = candidate.replace(/ /g, "");
        if (compact !== compact.toUpperCase() && compact !== compact.toLowerCase()) continue; // mixed case
        if (!isValidIban(compact)) continue;
        const start = m.index;
        const end = start + candidate.length;
        out.push(finding(IBAN_INFO, ctx.text, start, end, "valid mod-97 check digits", hasContext(text, start, end, IBAN_CONTEXT) ? 0.97 : 0.85));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// US Social Security number

const SSN_INFO: TypeInfo = { ruleId: "pii-us-ssn", label: "US Social Security number", placeholder: "[SSN]", variable: "ssn" };
const SSN_CONTEXT = /\bSSNs?\b|social security|\bsoc\.? sec|\bSSA\b|taxpayer|\bTIN\b/i;

export function isValidSsn(area: string, group: string, serial: string): boolean {
    if (area === "000" || area === "666" || area[0] === "9") return false;
    if (group === "00" || serial === "0000") return false;
    if (`${area}${group}${serial}` === "123456789" || `${area}${group}${serial}` === "078051120") return false; // published samples
    return true;
}

function checkSsn(ctx: RuleContext): RuleFinding[] {
    const text = foldWidth(ctx.text);
    const out: RuleFinding[] = [];
    for (const m of text.matchAll(/(?<![\w\-./])(\d{3})(?:([- ])(\d{2})\2(\d{4})|(\d{2})(\d{4}))(?![\w\-/]|\.\d)/g)) {
        const area = m[1]!;
        const sep = m[2];
        const group = (m[3] ?? m[5])!;
        const serial = (m[4] ?? m[6])!;
        if (!isValidSsn(area, group, serial)) continue;
        const start = m.index;
        const end = start + m[0].length;
        const context = hasContext(text, start, end, SSN_CONTEXT);
        if (!context && sep !== "-") continue; // "123 45 6789" and 9 bare digits only with an SSN word
        out.push(finding(SSN_INFO, ctx.text, start, end, "", context ? 0.95 : 0.7));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------

export function piiRules(): Rule[] {
    return [
        rule("pii-cn-resident-id", "Chinese resident ID numbers (18 digits, valid region, birth date and check digit).", checkCnId),
        rule("pii-cn-uscc", "Chinese unified social credit codes (18 characters with a valid check character).", checkUscc),
        rule("pii-bank-card", "Bank card numbers (13–19 digits, Luhn valid, plausible issuer), including UnionPay.", checkCard),
        rule("pii-cn-mobile", "Chinese mobile numbers (1[3-9]x xxxx xxxx, optional +86).", checkCnMobile),
        rule("pii-email", "Email addresses.", checkEmail),
        rule("pii-ipv4", "IPv4 addresses (four octets 0–255, not version numbers).", checkIPv4),
        rule("pii-ipv6", "IPv6 addresses (full or :: compressed).", checkIPv6),
        rule("pii-phone", "Phone numbers in international (+CC) or common national formats.", checkPhone),
        rule("pii-iban", "International bank account numbers (country length and mod-97 check).", checkIban),
        rule("pii-us-ssn", "US Social Security numbers (valid area, group and serial).", checkSsn),
    ];
}
