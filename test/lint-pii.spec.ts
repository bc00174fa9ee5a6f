// PII and secret rules (src/core/lint/rules/pii.ts, secret.ts): positives with exact offsets, near-miss
// negatives (check digits, dates, versions, hashes, UUIDs, order numbers, placeholders), masks, fixes,
// context confidence, and a recall check on the synthetic Presidio set when it is present.
//
// Valid identifiers are generated here with their algorithms (independently of the rule code), and the
// negatives flip one character of a valid value.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { piiRules } from "../src/core/lint/rules/pii.ts";
import { secretRules } from "../src/core/lint/rules/secret.ts";
import { normalize } from "../src/core/lint/normalize.ts";
import type { Rule, RuleContext, RuleFinding } from "../src/core/lint/types.ts";

const RULES: Rule[] = [...piiRules(), ...secretRules()];

function ctxOf(text: string): RuleContext {
    let n: ReturnType<typeof normalize> | undefined;
    return { text, normalized: () => (n ??= normalize(text)), options: {} };
}

function run(ruleId: string, text: string): RuleFinding[] {
    const rule = RULES.find((r) => r.id === ruleId);
    assert.ok(rule, `rule ${ruleId} exists`);
    return rule.check(ctxOf(text));
}

function all(text: string, category?: "pii" | "secret"): RuleFinding[] {
    return RULES.filter((r) => !category || r.category === category).flatMap((r) => r.check(ctxOf(text)));
}

/** Asserts exactly one finding of `ruleId`, covering `value` (its first occurrence) exactly. */
function expectOne(ruleId: string, text: string, value: string): RuleFinding {
    const found = run(ruleId, text);
    assert.equal(found.length, 1, `${ruleId} in ${JSON.stringify(text)}: ${JSON.stringify(found.map((f) => text.slice(f.start, f.end)))}`);
    const f = found[0]!;
    const start = text.indexOf(value);
    assert.ok(start >= 0);
    assert.deepEqual([f.start, f.end], [start, start + value.length], `offsets of ${value}`);
    return f;
}

function expectNone(ruleId: string, text: string): void {
    const found = run(ruleId, text);
    assert.deepEqual(found.map((f) => text.slice(f.start, f.end)), [], `${ruleId} must not match in ${JSON.stringify(text)}`);
}

/** Changes the digit (or letter) at index i, so any check digit fails. */
function flip(s: string, i: number): string {
    const c = s[i]!;
    const r = /\d/.test(c) ? String((Number(c) + 1) % 10) : c === "A" ? "B" : "A";
    return s.slice(0, i) + r + s.slice(i + 1);
}

// --- generators (independent implementations of the algorithms) ---

function cnId(first17: string): string {
    const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i]!, 0);
    return first17 + "10X98765432"[sum % 11]!;
}

function uscc(first17: string): string {
    const cs = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const sum = [...first17].reduce((s, c, i) => s + cs.indexOf(c) * w[i]!, 0);
    return first17 + cs[(31 - (sum % 31)) % 31]!;
}

function luhnComplete(prefix: string): string {
    for (let d = 0; d < 10; d++) {
        const s = prefix + d;
        let sum = 0;
        [...s].reverse().forEach((c, i) => {
            let v = Number(c);
            if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
            sum += v;
        });
        if (sum % 10 === 0) return s;
    }
    throw new Error("unreachable");
}

function iban(country: string, bban: string): string {
    const num = (s: string) => [...s].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join("");
    const rem = BigInt(num(bban + country + "00")) % 97n;
    return country + String(98n - rem).padStart(2, "0") + bban;
}

const group4 = (s: string) => s.replace(/(.{4})(?=.)/g, "$1 ");
const toFullWidth = (s: string) => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

// --- rule list ---

test("piiRules and secretRules expose one rule per type with the right categories", () => {
    assert.deepEqual(
        piiRules().map((r) => r.id),
        ["pii-cn-resident-id", "pii-cn-uscc", "pii-bank-card", "pii-cn-mobile", "pii-email", "pii-ipv4", "pii-ipv6", "pii-phone", "pii-iban", "pii-us-ssn"],
    );
    assert.ok(piiRules().every((r) => r.category === "pii" && r.description));
    const ids = secretRules().map((r) => r.id);
    for (const id of ["secret-openai-key", "secret-anthropic-key", "secret-aws-access-key-id", "secret-aws-secret-key", "secret-github-token", "secret-slack-token", "secret-slack-webhook", "secret-google-api-key", "secret-stripe-key", "secret-jwt", "secret-private-key", "secret-assignment"]) {
        assert.ok(ids.includes(id), id);
    }
    assert.ok(secretRules().every((r) => r.category === "secret"));
});

// --- Chinese resident ID ---

test("pii-cn-resident-id: valid IDs with offsets, context confidence, mask and typed fixes", () => {
    const id = cnId("11010519491231002");
    assert.equal(id, "11010519491231002X"); // the GB 11643 sample number
    const text = `客户身份证号：${id}，请核实。`;
    const f = expectOne("pii-cn-resident-id", text, id);
    assert.equal(f.category, "pii");
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.ok(f.message.includes("**************002X") && !f.message.includes(id), f.message);
    assert.match(f.message, /Chinese resident ID number/);
    const byKind = Object.fromEntries((f.fixes ?? []).map((x) => [x.kind, x.replacement]));
    assert.deepEqual(byKind, { mask: "**************002X", placeholder: "[身份证号]", variable: "{{id_number}}", remove: "" });
    assert.ok((f.fixes ?? []).every((x) => x.start === f.start && x.end === f.end));

    const plain = cnId("44030619900307123");
    const g = expectOne("pii-cn-resident-id", `number ${plain} here`, plain);
    assert.ok((g.confidence ?? 1) < 0.95, "no context word: lower confidence");
    expectOne("pii-cn-resident-id", `id ${plain.slice(0, 17)}${plain[17]!.toLowerCase()}`, plain.slice(0, 17) + plain[17]!.toLowerCase());
});

test("pii-cn-resident-id: wrong check digit, impossible dates, bad region and longer runs are not reported", () => {
    const id = cnId("44030619900307123");
    expectNone("pii-cn-resident-id", `身份证号 ${flip(id, 17)}`);
    expectNone("pii-cn-resident-id", `身份证号 ${cnId("44030619900230123")}`); // 30 February
    expectNone("pii-cn-resident-id", `身份证号 ${cnId("44030618991231123")}`); // before 1900
    expectNone("pii-cn-resident-id", `身份证号 ${cnId(`440306${new Date().getFullYear() + 1}0101123`)}`); // future
    expectNone("pii-cn-resident-id", `身份证号 ${cnId("99030619900307123")}`); // no province 99
    expectNone("pii-cn-resident-id", `身份证号 ${cnId("19030619900307123")}`); // no province 19
    expectNone("pii-cn-resident-id", `1${id}`); // inside a longer digit run
    expectNone("pii-cn-resident-id", `${id}5`);
    expectNone("pii-cn-resident-id", `sha${id}abc`);
    // leap day is fine
    expectOne("pii-cn-resident-id", `身份证 ${cnId("44030620000229123")}`, cnId("44030620000229123"));
});

test("pii-cn-resident-id: full-width digits map back to the original offsets", () => {
    const id = cnId("31010419851015321");
    const wide = toFullWidth(id);
    const text = `证件号：${wide}。`;
    const f = expectOne("pii-cn-resident-id", text, wide);
    assert.equal(text.slice(f.start, f.end), wide);
});

// --- USCC ---

test("pii-cn-uscc: valid codes reported, flipped and ID-like ones not", () => {
    const code = uscc("91350100M000100Y4");
    const f = expectOne("pii-cn-uscc", `统一社会信用代码：${code}`, code);
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[统一社会信用代码]");
    assert.equal(f.fixes?.find((x) => x.kind === "variable")?.replacement, "{{credit_code}}");
    expectNone("pii-cn-uscc", `统一社会信用代码：${flip(code, 17)}`);
    expectNone("pii-cn-uscc", `统一社会信用代码：${flip(code, 3)}`);
    expectNone("pii-cn-uscc", `code ${code}X`);
    const code2 = uscc("91110108MA01ABCDE");
    expectOne("pii-cn-uscc", `营业执照 ${code2}`, code2);
    expectOne("pii-cn-uscc", `营业执照 ${toFullWidth(code2)}`, toFullWidth(code2));
    // A valid resident ID is reported by pii-cn-resident-id only.
    for (let seq = 100; seq < 400; seq++) {
        const id = cnId(`11010519900101${seq}`);
        assert.deepEqual(run("pii-cn-uscc", id), [], id);
    }
});

// --- Bank card ---

test("pii-bank-card: Luhn-valid cards (grouped, UnionPay) with masks that keep the last 4 and separators", () => {
    const visa = "4111 1111 1111 1111";
    const f = expectOne("pii-bank-card", `card number ${visa}.`, visa);
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "**** **** **** 1111");
    assert.ok(f.message.includes("**** **** **** 1111") && !f.message.includes(visa));
    const unionPay = luhnComplete("622202123456789012"); // 19 digits
    const g = expectOne("pii-bank-card", `银行卡号 ${unionPay}`, unionPay);
    assert.match(g.message, /UnionPay/);
    assert.equal(g.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[银行卡号]");
    const up16 = luhnComplete("621700123456789");
    expectOne("pii-bank-card", `卡号：${up16.replace(/(\d{4})(?=\d)/g, "$1-")}`, up16.replace(/(\d{4})(?=\d)/g, "$1-"));
    const amex = luhnComplete("37828224631000");
    expectOne("pii-bank-card", `amex ${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`, `${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`);
    const h = expectOne("pii-bank-card", `paid with ${up16} yesterday`, up16);
    assert.ok((h.confidence ?? 1) < 0.9);
    expectOne("pii-bank-card", toFullWidth(up16), toFullWidth(up16));
});

test("pii-bank-card: near misses are not cards", () => {
    const card = luhnComplete("455673758942386");
    expectNone("pii-bank-card", `card ${flip(card, 15)}`);
    expectNone("pii-bank-card", `card ${flip(card, 3)}`);
    expectNone("pii-bank-card", "card 0000 0000 0000 0000");
    expectNone("pii-bank-card", "card 4444444444444444");
    expectNone("pii-bank-card", `ts ${luhnComplete("170000000000")}`); // 13-digit millisecond timestamp
    expectNone("pii-bank-card", `ts ${luhnComplete("171234567890123456")}`); // nanosecond timestamp
    expectNone("pii-bank-card", `Order ${card} shipped`); // order number, no card word
    expectNone("pii-bank-card", `订单号 ${card}`);
    expectNone("pii-bank-card", `x${card}`); // inside a token
    expectNone("pii-bank-card", `deadbeef${card}cafe`);
    expectNone("pii-bank-card", `${card}.5`);
    expectNone("pii-bank-card", `+${card}`);
    expectNone("pii-bank-card", `${luhnComplete("60110009901")}`); // 12 digits without a card word
    expectOne("pii-bank-card", `card ${luhnComplete("50386729711")}`, luhnComplete("50386729711")); // 12-digit Maestro with one
    const id = cnId("11010519491231002");
    assert.deepEqual(run("pii-bank-card", id), []); // never report a resident ID as a card
});

// --- Chinese mobile ---

test("pii-cn-mobile: plain, +86 / 0086 / 86 prefixes, separators and full-width digits", () => {
    const f = expectOne("pii-cn-mobile", "手机：13800138000", "13800138000");
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "*******8000");
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[手机号]");
    expectOne("pii-cn-mobile", "call +86 138 0013 8000 now", "+86 138 0013 8000");
    expectOne("pii-cn-mobile", "call +86-138-0013-8000 now", "+86-138-0013-8000");
    expectOne("pii-cn-mobile", "tel 008615912345678", "008615912345678");
    expectOne("pii-cn-mobile", "tel 86 15912345678", "86 15912345678");
    expectOne("pii-cn-mobile", "联系１８６１２３４５６７８", "１８６１２３４５６７８");
    const g = expectOne("pii-cn-mobile", "x 19912345678 y", "19912345678");
    assert.ok((g.confidence ?? 1) < 0.95);
    expectNone("pii-cn-mobile", "12800138000"); // second digit 2
    expectNone("pii-cn-mobile", "123800138000"); // longer digit run
    expectNone("pii-cn-mobile", "138001380001");
    expectNone("pii-cn-mobile", "138-0013 8000"); // mixed separators
    // not reported twice as a generic phone
    assert.deepEqual(run("pii-phone", "phone +86 138 0013 8000"), []);
});

// --- Email ---

test("pii-email: addresses, reserved domains and look-alikes", () => {
    const f = expectOne("pii-email", "mail me at li.wei+news@mail.qq.com, thanks", "li.wei+news@mail.qq.com");
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[EMAIL]");
    assert.equal(f.fixes?.find((x) => x.kind === "variable")?.replacement, "{{email_address}}");
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "**.***+****@****.*q.com");
    assert.ok(!f.message.includes("li.wei+news@mail.qq.com"));
    expectOne("pii-email", "邮箱：zhang_san@163.com。", "zhang_san@163.com");
    expectOne("pii-email", "ｊｏｈｎ＠ｃｏｍｐａｎｙ．ｃｏｍ", "ｊｏｈｎ＠ｃｏｍｐａｎｙ．ｃｏｍ");
    expectNone("pii-email", "e.g. jane@example.com or bob@test.example or x@foo.test");
    expectNone("pii-email", "logo@2x.png and lodash@4.17.21 and @scope/pkg");
    expectNone("pii-email", "user@localhost");
});

// --- IPv4 / IPv6 ---

test("pii-ipv4: parsed addresses; version numbers are not IPs; loopback is mentioned", () => {
    const f = expectOne("pii-ipv4", "client IP 203.0.113.45 blocked", "203.0.113.45");
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[IP]");
    assert.equal(f.fixes?.find((x) => x.kind === "variable")?.replacement, "{{ip_address}}");
    expectOne("pii-ipv4", "ping 1.2.3.4", "1.2.3.4"); // decision: a bare dotted quad is an address
    expectOne("pii-ipv4", "http://8.8.8.8:53/", "8.8.8.8");
    expectOne("pii-ipv4", "net 10.1.2.0/24", "10.1.2.0");
    const lo = expectOne("pii-ipv4", "listen on 127.0.0.1", "127.0.0.1");
    assert.match(lo.message, /loopback/);
    assert.ok((lo.confidence ?? 1) < 0.5);
    expectNone("pii-ipv4", "version 10.0.0.1");
    expectNone("pii-ipv4", "v1.2.3.4");
    expectNone("pii-ipv4", "Chrome ver. 120.0.6099.109");
    expectNone("pii-ipv4", "版本 1.2.3.4");
    expectNone("pii-ipv4", "256.1.1.1 and 1.2.3.999");
    expectNone("pii-ipv4", "01.02.03.04");
    expectNone("pii-ipv4", "oid 1.3.6.1.4.1");
    expectNone("pii-ipv4", "1.2.3");
});

test("pii-ipv6: full and compressed forms; times, MACs, hashes and C++ scopes are not", () => {
    expectOne("pii-ipv6", "from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 today", "2001:0db8:85a3:0000:0000:8a2e:0370:7334");
    expectOne("pii-ipv6", "from 2001:db8:85a3::8a2e:370:7334.", "2001:db8:85a3::8a2e:370:7334");
    expectOne("pii-ipv6", "iface fe80::1%eth0 up", "fe80::1%eth0");
    expectOne("pii-ipv6", "mapped ::ffff:192.0.2.1 ok", "::ffff:192.0.2.1");
    assert.match(expectOne("pii-ipv6", "bind [::1]:8080", "::1").message, /loopback/);
    expectNone("pii-ipv6", "at 12:30:45 and 23:59");
    expectNone("pii-ipv6", "mac 00:1a:2b:3c:4d:5e");
    expectNone("pii-ipv6", "std::vector<int> and Foo::bar and dead::beef");
    expectNone("pii-ipv6", "1:2:3:4:5:6:7:8:9");
    expectNone("pii-ipv6", "2001:db8::1::2");
    expectNone("pii-ipv6", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
});

// --- Phone ---

test("pii-phone: international and common national formats", () => {
    const f = expectOne("pii-phone", "Office: +44 20 7946 0958.", "+44 20 7946 0958");
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[PHONE]");
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "+** ** **** 0958");
    expectOne("pii-phone", "ring (555) 123-4567 now", "(555) 123-4567");
    expectOne("pii-phone", "ring 555-123-4567 now", "555-123-4567");
    expectOne("pii-phone", "ring 555.123.4567 now", "555.123.4567");
    expectOne("pii-phone", "Desk: +1-903-140-4508x769", "+1-903-140-4508x769");
    expectOne("pii-phone", "fax +46 (0)8 928 571 38", "+46 (0)8 928 571 38");
    expectOne("pii-phone", "E.164 +4915123456789", "+4915123456789");
    expectOne("pii-phone", "电话：010-6552 9988", "010-6552 9988"); // area code separator may differ
    const ctxd = expectOne("pii-phone", "call me on 9472 7916?", "9472 7916"); // two groups need a phone word
    assert.ok((ctxd.confidence ?? 0) >= 0.95);
    expectNone("pii-phone", "room 9472 7916");
});

test("pii-phone: dates, versions, order numbers, SSNs, UUIDs, amounts and hashes are not phones", () => {
    expectNone("pii-phone", "on 2024-03-15 at 12:30:45");
    expectNone("pii-phone", "15.03.2024 and 03/15/2024 and 2024.03.15");
    expectNone("pii-phone", "version 10.2.3.4 and 1.2.3 and v2.10.15");
    expectNone("pii-phone", "Order number 123-456-7890 shipped");
    expectNone("pii-phone", "订单号 555-123-4567");
    expectNone("pii-phone", "SSN 536-22-1234");
    expectNone("pii-phone", "id 550e8400-e29b-41d4-a716-446655440000");
    expectNone("pii-phone", "population 12 345 678 and 1 000 000");
    expectNone("pii-phone", "commit 3f9c2a7e8b1d4f6a0c5e9b2d7f1a4c8e6b3d9f0a");
    expectNone("pii-phone", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    expectNone("pii-phone", "1 2 3 4 5 6 7 8");
    expectNone("pii-phone", "ip 192.168.100.200");
    expectNone("pii-phone", "unix 1700000000 ms 1700000000123");
    expectNone("pii-phone", "license number is 2270-66-1551");
});

// --- IBAN ---

test("pii-iban: mod-97 and country length, spaced in groups of 4", () => {
    const gb = "GB82 WEST 1234 5698 7654 32";
    const f = expectOne("pii-iban", `IBAN: ${gb}.`, gb);
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "**** **** **** **** **54 32");
    const de = iban("DE", "370400440532013000");
    expectOne("pii-iban", `Konto ${de} bitte`, de);
    expectOne("pii-iban", `konto ${group4(de)} bitte`, group4(de));
    expectOne("pii-iban", `my iban is ${de.toLowerCase()}`, de.toLowerCase());
    const fr = iban("FR", "20041010050500013M02606");
    expectOne("pii-iban", fr, fr);
    expectNone("pii-iban", `IBAN ${flip(de, 10)}`);
    expectNone("pii-iban", `IBAN ${flip(de, 2)}`);
    expectNone("pii-iban", `IBAN ${de}1`); // longer than Germany's 22
    expectNone("pii-iban", `IBAN ${iban("DE", "37040044053201300")}`); // shorter
    expectNone("pii-iban", `IBAN ${iban("ZZ", "370400440532013000")}`); // unknown country
    expectNone("pii-iban", "GB82 WES T123 4569 8765 432"); // groups not of 4
});

// --- SSN ---

test("pii-us-ssn: valid area/group/serial; bare digits only with a context word", () => {
    const f = expectOne("pii-us-ssn", "Here's my SSN: 536-22-1234", "536-22-1234");
    assert.ok((f.confidence ?? 0) >= 0.95);
    assert.equal(f.fixes?.find((x) => x.kind === "mask")?.replacement, "***-**-1234");
    assert.equal(f.fixes?.find((x) => x.kind === "placeholder")?.replacement, "[SSN]");
    assert.equal(f.fixes?.find((x) => x.kind === "variable")?.replacement, "{{ssn}}");
    expectOne("pii-us-ssn", "ref 536-22-1234", "536-22-1234");
    expectOne("pii-us-ssn", "social security number 536221234", "536221234");
    expectOne("pii-us-ssn", "SSN 536 22 1234", "536 22 1234");
    expectNone("pii-us-ssn", "number 536221234");
    expectNone("pii-us-ssn", "numbers 536 22 1234");
    for (const bad of ["000-22-1234", "666-22-1234", "912-22-1234", "536-00-1234", "536-22-0000", "123-45-6789"]) expectNone("pii-us-ssn", `SSN ${bad}`);
    expectNone("pii-us-ssn", "phone 555-123-4567 and 2024-03-15 and 1536-22-1234 and 536-22-12345");
});

// --- Secrets ---

const SECRETS: Array<[string, string]> = [
    ["secret-openai-key", "sk-proj-Ab3dEf9hIjK1mNoPqR7sTuVwXyZ0aB2cD4eF"],
    ["secret-openai-key", "sk-Zq8M3nR7tY2wX5vB9kL4pJ6hG1fD0sAeC3uI7oP2lK9jH4g"],
    ["secret-anthropic-key", "sk-ant-api03-Xq7R2mN9vB4kL8pJ3hG6fD1sA5zC0wE7tY2uI9oP4lK8jH3gF6dS1aZ5xC0vB7nM2-QwErTyAA"],
    ["secret-aws-access-key-id", "AKIAZ7Q3L5M2N8P4R6T1"],
    ["secret-github-token", "ghp_8fK2mQ7xL4vB9nR1tY6wEa3Zc5Hd0Jg2Ps4U"],
    ["secret-github-token", "github_pat_11ABCDEFG0x8fK2mQ7xL4vB9nR1tY6wEa3_Zc5Hd0Jg2Ps4UkW8qN3mX7pR2tY6vB1nL4kJ9hG3fD5sA"],
    ["secret-slack-token", "xoxb-1234567890-9876543210-Ab3dEf9hIjK1mNoPqR7sTuVw"],
    ["secret-slack-webhook", "https://hooks.slack.com/services/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"],
    ["secret-google-api-key", "AIzaSyB3dEf9hIjK1mNoPqR7sTuVwXyZ0aB2cD4"],
    ["secret-stripe-key", "sk_live_51Hq7R2mN9vB4kL8pJ3hG6fD1s"],
    ["secret-stripe-key", "rk_live_51Hq7R2mN9vB4kL8pJ3hG6fD1s"],
    ["secret-stripe-key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
    ["secret-jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
];

test("secret formats: each well-known format is found exactly, messages show at most 4+2 characters", () => {
    for (const [ruleId, secret] of SECRETS) {
        const text = `config:\n  value ${secret} # do not share`;
        const found = all(text, "secret");
        assert.equal(found.length, 1, `${ruleId}: ${JSON.stringify(found.map((f) => f.ruleId))}`);
        const f = found[0]!;
        assert.equal(f.ruleId, ruleId);
        assert.equal(text.slice(f.start, f.end), secret);
        assert.ok(f.message.includes(`${secret.slice(0, 4)}…${secret.slice(-2)}`), f.message);
        assert.ok(!f.message.includes(secret.slice(0, 8)) || secret.startsWith("https://hooks"), f.message);
        assert.ok(!f.message.includes(secret.slice(4, -2)), "never the middle");
        const byKind = Object.fromEntries((f.fixes ?? []).map((x) => [x.kind, x.replacement]));
        assert.equal(byKind.placeholder, "[REDACTED_SECRET]");
        assert.equal(byKind.remove, "");
        assert.match(byKind.variable ?? "", /^\{\{[a-z_]+\}\}$/);
    }
    assert.equal(run("secret-openai-key", "k=sk-proj-Ab3dEf9hIjK1mNoPqR7sTuVwXyZ0aB2cD4eF")[0]?.fixes?.find((x) => x.kind === "variable")?.replacement, "{{openai_api_key}}");
});

test("secret-aws-secret-key needs a secret word nearby and mixed case; git SHAs do not qualify", () => {
    const key = "Kz8fJ2mQp9Lr4XvT7wNc1YbH6gDs3AeU0iOk5Ejp";
    expectOne("secret-aws-secret-key", `aws_secret_access_key = ${key}`, key);
    expectNone("secret-aws-secret-key", `some text ${key}`);
    expectNone("secret-aws-secret-key", "secret 3f9c2a7e8b1d4f6a0c5e9b2d7f1a4c8e6b3d9f0a");
    expectNone("secret-aws-secret-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"); // AWS docs example
});

test("secret-private-key: PEM blocks with or without an END line; elided bodies are not keys", () => {
    const body = "MIIEpAIBAAKCAQEA7b3dQk9sJmZ1yX2vQ8wN4tR6uP0oL3kH5gF7dS9aB1cE2fG4\nhJ6kL8mN0pQ2rS4tU6vW8xY0zA2bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4zA6b";
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
    const f = expectOne("secret-private-key", `key:\n${pem}\nthanks`, pem);
    assert.ok(!f.message.includes(body.slice(0, 20)));
    const open = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}`;
    expectOne("secret-private-key", `key:\n${open}\n\nmore text`, open);
    expectNone("secret-private-key", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----");
    expectNone("secret-private-key", "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----");
});

test("secret-jwt: the header must decode to JSON with alg", () => {
    const [, jwt] = SECRETS.find(([id]) => id === "secret-jwt")!;
    const payload = jwt.split(".")[1]!;
    const fakeHeader = Buffer.from('{"foo":"bar"}').toString("base64url");
    expectNone("secret-jwt", `eyJ${fakeHeader.slice(3)}.${payload}.abc`);
    expectNone("secret-jwt", `eyJub3Rqc29u.${payload}.abc`);
});

test("secret-assignment: high-entropy values under key-like names in JSON, YAML, env and code", () => {
    const cases: Array<[string, string, string]> = [
        ['{"token": "a8F3kL9mQ2xZ7vB4nR1tY6wE"}', "a8F3kL9mQ2xZ7vB4nR1tY6wE", "{{token}}"],
        ["api_key=Zx8Qw3Er7Ty1Ui5Op9As", "Zx8Qw3Er7Ty1Ui5Op9As", "{{api_key}}"],
        ["DB_PASSWORD: 'p4Ss-W0rd!x9Q#zL2mK'", "p4Ss-W0rd!x9Q#zL2mK", "{{db_password}}"],
        ["const clientSecret = `Gh7jK2lM9nB4vC6xZ1qW`;", "Gh7jK2lM9nB4vC6xZ1qW", "{{client_secret}}"],
        ["Authorization: Bearer 9fK2mQ7xL4vB8nR1tY6wEa3Zc", "9fK2mQ7xL4vB8nR1tY6wEa3Zc", "{{authorization}}"],
        ["access_key => 'k9J2h7G4f1D8s5A3zX6c'", "k9J2h7G4f1D8s5A3zX6c", "{{access_key}}"],
    ];
    for (const [text, value, variable] of cases) {
        const f = expectOne("secret-assignment", text, value);
        assert.equal(f.fixes?.find((x) => x.kind === "variable")?.replacement, variable);
        assert.ok(!f.message.includes(value), f.message);
    }
});

test("secret rules: placeholders, hashes, UUIDs and ordinary values are not secrets", () => {
    const texts = [
        "api_key=YOUR_API_KEY",
        "api_key: <api-key>",
        "token = ${API_KEY}",
        "token: {{api_key}}",
        "password: changeme",
        'password: "********************"',
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "OPENAI_API_KEY=sk-...",
        "OPENAI_API_KEY=sk-your-api-key-goes-here-please",
        "key sk-abcdefghijklmnopqrstuvwxyz012345",
        "secret = aaaaaaaaaaaaaaaaaaaaaaaa",
        "token = 1234567890123456789",
        "api_key = abcdefghijklmnop1234",
        "api_key=process.env.OPENAI_API_KEY",
        'api_key = os.environ["OPENAI_API_KEY"]',
        "token: OPENAI_API_KEY_FROM_VAULT",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password: hunter2",
        "max_tokens: 4096123456789012345",
        "commit 3f9c2a7e8b1d4f6a0c5e9b2d7f1a4c8e6b3d9f0a",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "commit_sha: 3f9c2a7e8b1d4f6a0c5e9b2d7f1a4c8e6b3d9f0a",
        "secret_hash = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "request 550e8400-e29b-41d4-a716-446655440000",
        "author: JohnSmith1234567890",
        "the task-manager-service-component-abcdef is fine",
        "password_hint: MyFirstPetsName2020",
        "token_count: 12345abcdef67890",
    ];
    for (const text of texts) assert.deepEqual(all(text, "secret").map((f) => `${f.ruleId} ${text.slice(f.start, f.end)}`), [], text);
});

test("pii and secret rules ignore hashes, UUIDs, timestamps and version strings", () => {
    const text = [
        "commit 3f9c2a7e8b1d4f6a0c5e9b2d7f1a4c8e6b3d9f0a",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "at 2024-03-15T12:30:45.123Z, epoch 1710505845123",
        "node v20.11.1, build 1.22.333.4444",
    ].join("\n");
    assert.deepEqual(all(text).map((f) => `${f.ruleId} ${text.slice(f.start, f.end)}`), []);
});

// --- Recall on the synthetic Presidio set (when the shared data set is present) ---

const PRESIDIO = "/work/shared/datasets/pii-presidio-synth.jsonl";
const TYPE_RULES: Record<string, string[]> = {
    EMAIL_ADDRESS: ["pii-email"],
    IP_ADDRESS: ["pii-ipv4", "pii-ipv6"],
    IBAN_CODE: ["pii-iban"],
    US_SSN: ["pii-us-ssn"],
    CREDIT_CARD: ["pii-bank-card"],
    PHONE_NUMBER: ["pii-phone", "pii-cn-mobile"],
};

test("recall on the synthetic Presidio set", { skip: !existsSync(PRESIDIO) && "data set not present" }, () => {
    const hits: Record<string, { found: number; total: number }> = {};
    let unlabelled = 0;
    for (const line of readFileSync(PRESIDIO, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const row = JSON.parse(line) as { text: string; spans: Array<{ type: string; start: number; end: number }> };
        const findings = all(row.text, "pii");
        for (const s of row.spans) {
            const ids = TYPE_RULES[s.type];
            if (!ids) continue;
            const h = (hits[s.type] ??= { found: 0, total: 0 });
            h.total++;
            if (findings.some((f) => ids.includes(f.ruleId) && f.start < s.end && s.start < f.end)) h.found++;
        }
        // Findings that overlap no labelled span of their type (false positives on this set).
        unlabelled += findings.filter((f) => !row.spans.some((s) => (TYPE_RULES[s.type] ?? []).includes(f.ruleId) && f.start < s.end && s.start < f.end)).length;
    }
    for (const [type, { found, total }] of Object.entries(hits)) console.log(`recall ${type}: ${found}/${total} = ${(found / total).toFixed(3)}`);
    console.log(`findings overlapping no labelled span of their type: ${unlabelled}`);
    for (const type of ["EMAIL_ADDRESS", "IP_ADDRESS", "IBAN_CODE", "US_SSN", "CREDIT_CARD"]) {
        const h = hits[type]!;
        assert.ok(h.found / h.total >= 0.95, `${type} recall ${h.found}/${h.total}`);
    }
    const phone = hits.PHONE_NUMBER!;
    assert.ok(phone.found / phone.total >= 0.85, `phone recall ${phone.found}/${phone.total}`);
    assert.ok(unlabelled <= 3, `unlabelled findings: ${unlabelled}`);
});

test("phone numbers without separators, or as dotted pairs, count only next to a phone word", async () => {
    const { piiRules: rules } = await import("../src/core/lint/rules/pii.ts");
    const { normalize: norm } = await import("../src/core/lint/normalize.ts");
    const phone = rules().find((r) => r.id === "pii-phone")!;
    const found = (text: string) => phone.check({ text, normalized: () => norm(text), options: {} }).map((f) => text.slice(f.start, f.end));
    assert.deepEqual(found("Fax: 5403926876"), ["5403926876"]);
    assert.deepEqual(found("call me on 01.84.17.61.18 please"), ["01.84.17.61.18"]);
    assert.deepEqual(found("order 5403926876 shipped"), [], "no phone word: an order number");
    assert.deepEqual(found("phone: 1700000000"), [], "not a NANP shape (area code cannot start with 1 after the country code)");
    assert.deepEqual(found("version 01.84.17.61.18"), []);
    assert.deepEqual(found("tel 2124115555"), [], "an N11 exchange (411) is a service code, not a number");
});
