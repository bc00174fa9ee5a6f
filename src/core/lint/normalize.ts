// Normalisation with an offset map. Every normalised UTF-16 unit remembers the original range it came
// from, so a match found in normalised text maps back to the exact original range.
//
// Per character (or per base character + combining marks, a "cluster"):
//   1. invisible characters are dropped: default-ignorables (zero-width, bidi controls, variation
//      selectors, tag characters, Hangul fillers, ...), other format characters, and decorative overlay /
//      enclosing marks (U+0334–U+0338, U+20D0–U+20F0) used to disguise letters;
//   2. NFKC (full-width → half-width, mathematical / circled / squared letters → plain letters, CJK
//      compatibility ideographs → unified ideographs, ...), applied to the whole cluster so that
//      "e" + U+0301 becomes "é";
//   3. look-alike folding (Cyrillic / Greek / Armenian homoglyphs, small capitals, negative circled and
//      squared letters → ASCII), then case folding (toLowerCase, plus ß → ss and ς → σ);
//   4. optionally traditional → simplified Chinese (a compact table of common characters);
//   5. optionally separators dropped (whitespace, punctuation, symbols incl. emoji, controls).
// Lone surrogates become U+FFFD. Results are cached per character, so the slow path runs once per
// distinct character; ASCII has a table-driven fast path and the output and offset map are typed arrays.
import type { NormalizedText } from "./types.ts";

export interface NormalizeOptions {
    /** Also drop whitespace, punctuation and symbols (emoji included), so "忽 略*以上" reads "忽略以上" and "i g n o r e" reads "ignore". */
    dropSeparators?: boolean;
    /** Fold common traditional Chinese characters to simplified ones (於 → 于, 說 → 说, 請 → 请, ...). */
    traditionalToSimplified?: boolean;
}

/** A NormalizedText as returned by normalize(): also says which options produced it. */
export interface NormalizedTextInfo extends NormalizedText {
    readonly options: Readonly<Required<NormalizeOptions>>;
}

/** The options with defaults filled in. */
export function resolveNormalizeOptions(options: NormalizeOptions = {}): Required<NormalizeOptions> {
    return { dropSeparators: options.dropSeparators === true, traditionalToSimplified: options.traditionalToSimplified === true };
}

/** True when two option sets normalise identically. */
export function sameNormalizeOptions(a: NormalizeOptions = {}, b: NormalizeOptions = {}): boolean {
    return (a.dropSeparators === true) === (b.dropSeparators === true) && (a.traditionalToSimplified === true) === (b.traditionalToSimplified === true);
}

/** The options a NormalizedText was produced with, when it came from normalize() (undefined otherwise). */
export function normalizeOptionsOf(n: NormalizedText): Readonly<Required<NormalizeOptions>> | undefined {
    const o = (n as Partial<NormalizedTextInfo>).options;
    return o && typeof o.dropSeparators === "boolean" && typeof o.traditionalToSimplified === "boolean" ? o : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Character tables

/** Look-alike characters → ASCII. Each item: the character, then what it folds to. Checked before and after lowercasing. */
const LOOKALIKES =
    // Cyrillic capitals and small letters that look like Latin ones
    "Аa Вb Еe Кk Мm Нh Оo Рp Сc Тt Хx Уy Ѕs Іi Јj Ԁd Һh Ӏl ӏl Ԛq ԛq Ԝw ԝw Үy үy Ѵv ѵv " +
    "аa еe оo рp сc уy хx ѕs іi јj ԁd һh ѡw ɡg " +
    // Greek capitals and a few small letters
    "Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx αa οo ιi νv ρp υu κk ϳj " +
    // Armenian
    "օo սu հh ոn " +
    // Latin letters that read as plain ones: small capitals, IPA / dotless forms
    "ᴀa ʙb ᴄc ᴅd ᴇe ꜰf ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz ɑa ɩi ıi ǀl İi " +
    // Punctuation look-alikes and case folding beyond toLowerCase
    "ǃ! ßss ẞss ςσ";

const FOLD = new Map<number, string>();
for (const item of LOOKALIKES.split(" ")) {
    if (!item) continue;
    const cp = item.codePointAt(0)!;
    FOLD.set(cp, item.slice(cp > 0xffff ? 2 : 1));
}

/** Traditional → simplified Chinese: pairs of (traditional, simplified), common characters only. */
const T2S_PAIRS =
    "於于後后說说與与請请們们這这個个箇个為为爲为開开關关機机統统規规則则無无僅仅應应該该對对輸输視视覽览隱隐發发髮发現现時时將将從从來来當当須须鬚须權权讀读寫写設设" +
    "認认識识證证號号碼码銀银電电話话郵邮護护絕绝絶绝體体務务係系繫系劃划記记憶忆舊旧麼么麽么嗎吗語语詞词問问題题復复複复獄狱裝装沒没過过濾滤審审內内帳帐賬账戶户資资" +
    "數数據据訊讯洩泄執执運运網网絡络連连結结點点擊击載载軟软檔档刪删變变員员錄录註注冊册驗验確确違违殺杀槍枪彈弹製制賭赌黨党國国領领導导軍军選选舉举獨独錢钱買买賣卖" +
    "價价貸贷詐诈騙骗盜盗竊窃駭骇繞绕偽伪僞伪顯显譯译總总簡简單单詳详細细響响幫帮謝谢學学習习訓训練练實实虛虚擬拟遊游戲戏場场創创圖图頻频聲声讓让給给還还會会裡里裏里" +
    "邊边東东車车馬马長长門门見见覺觉觀观頭头臉脸愛爱親亲兒儿孫孙氣气風风雲云漢汉華华書书畫画樂乐歡欢難难雙双幾几動动勞劳邏逻輯辑檢检測测試试標标準准線线級级紅红綠绿" +
    "藍蓝黃黄鳥鸟魚鱼龍龙龜龟齒齿飛飞飯饭館馆醫医藥药療疗傷伤殘残屍尸滅灭戰战鬥斗爭争強强壓压態态勢势歷历曆历歲岁萬万億亿兩两並并併并倆俩錯错誤误謊谎賊贼燒烧煙烟菸烟" +
    "穢秽誘诱姦奸搶抢綁绑毆殴懼惧嚇吓脅胁罰罚監监決决帶带儲储庫库區区塊块鏈链幣币礦矿鑰钥鎖锁專专業业經经營营濟济銷销貨货購购費费貿贸產产財财稅税險险質质聯联際际傳传" +
    "報报紙纸雜杂誌志聞闻廣广節节劇剧藝艺術术團团隊队組组織织構构處处辦办廳厅縣县鄉乡鎮镇韓韩義义禮礼樹树葉叶陽阳陰阴島岛嶼屿灣湾臺台颱台檯台壞坏惡恶醜丑髒脏臟脏亂乱" +
    "夢梦聖圣靈灵擁拥擇择擔担擴扩攝摄攜携撥拨換换揮挥損损搖摇掃扫採采掛挂擾扰攔拦攤摊喲哟遺遗蓋盖衛卫狀状況况尋寻屬属層层屆届歸归彙汇匯汇隨随階阶陳陈陸陆離离靜静順顺" +
    "預预額额顧顾類类顏颜願愿飲饮養养餘余驚惊鬧闹麥麦齊齐誰谁課课調调談谈論论講讲議议讚赞贊赞貝贝負负責责貴贵賞赏贏赢輕轻較较輪轮轉转辭辞農农週周進进達达遠远適适鄰邻" +
    "釋释針针鋼钢鍵键鏡镜鐘钟鐵铁閃闪閉闭間间閱阅雞鸡雖虽韋韦頁页項项頓顿駕驾驅驱骯肮麗丽齡龄齣出傑杰備备傢家債债傾倾優优兇凶別别剛刚劍剑勁劲勵励協协參参叢丛啟启喚唤" +
    "喪丧嘆叹噴喷嚴严圍围園园圓圆堅坚墮堕壯壮壽寿夠够奪夺奮奋婦妇媽妈嬰婴寧宁寶宝尷尴嶄崭師师幹干廢废彎弯徑径徹彻恥耻悶闷惱恼慘惨慣惯慮虑憂忧憐怜憑凭憤愤懷怀懶懒懸悬" +
    "戀恋拋抛捨舍擠挤擺摆斷断昇升暈晕暫暂曉晓條条棄弃極极榮荣槓杠樓楼樣样橫横歐欧殼壳毀毁氫氢淚泪淨净淺浅湯汤溝沟溫温滿满漲涨漸渐潔洁潛潜濃浓濕湿灑洒災灾烏乌煩烦熱热" +
    "燈灯爛烂爺爷爾尔牆墙犧牺猶犹獎奖獲获獵猎獸兽獻献環环瓊琼畢毕異异疊叠瘋疯癮瘾癢痒盡尽盤盘矯矫礎础禍祸禪禅種种稱称穩稳窮穷竄窜競竞筆笔範范築筑簽签籃篮糧粮紀纪約约" +
    "紋纹納纳純纯紛纷終终絲丝綜综維维緊紧緒绪編编緩缓縮缩縱纵繩绳繪绘續续罷罢羅罗聰聪聽听肅肃腦脑腳脚膽胆臨临興兴艦舰莊庄蒼苍蔣蒋蕭萧薦荐蘇苏蘭兰蟲虫補补襲袭觸触計计" +
    "討讨訪访許许訴诉診诊詢询詩诗誠诚誕诞諾诺謀谋謂谓謎谜謹谨譜谱豐丰貓猫貧贫販贩貪贪貫贯貼贴賀贺賓宾賴赖賺赚趕赶趙赵趨趋跡迹踐践蹤踪躍跃軌轨軒轩辯辩遞递遲迟遷迁邁迈" +
    "鄭郑醬酱釣钓鈔钞鉛铅銳锐鋒锋鋪铺錦锦鍋锅鍛锻鏟铲闆板闖闯陣阵隸隶雛雏霧雾靂雳鞏巩韻韵頂顶頒颁頗颇頸颈顆颗顫颤飄飘飽饱飾饰餓饿騎骑騰腾驕骄鬆松鬍胡鬱郁鳳凤鴨鸭鵝鹅" +
    "鷹鹰鹽盐麵面黴霉齋斋龐庞嗚呜嘗尝壺壶宮宫寬宽寵宠屢屡岡冈嶺岭巖岩幟帜廟庙廠厂廬庐張张彌弥徵征憲宪懇恳懲惩擋挡攏拢敗败敵敌斬斩樞枢潤润瀏浏濫滥爐炉狹狭獅狮瑪玛癒愈" +
    "盞盏瞞瞒碩硕磚砖禦御窩窝簾帘糾纠紮扎絨绒綱纲縫缝繳缴罵骂聳耸膚肤艱艰葯药蓮莲蘋苹蝦虾螢萤衝冲襯衬訂订詛诅誇夸謠谣豬猪賜赐賦赋賽赛贈赠蹟迹軀躯輛辆輩辈輝辉遙遥釘钉" +
    "鈴铃銅铜鋁铝錶表鍊炼鑄铸闊阔頌颂顛颠颳刮饑饥饒饶駛驶騷骚魯鲁鳴鸣鹹咸畧略";

const T2S = new Map<number, number>();
for (let i = 0; i + 1 < T2S_PAIRS.length; i += 2) T2S.set(T2S_PAIRS.charCodeAt(i), T2S_PAIRS.charCodeAt(i + 1));

/** Number of traditional → simplified pairs in the built-in table. */
export const TRADITIONAL_TO_SIMPLIFIED_SIZE = T2S.size;

const INVISIBLE_RE = /^[\p{Default_Ignorable_Code_Point}\p{Cf}\u0334-\u0338\u0488\u0489\u20D0-\u20F0]$/u;
const MARK_RE = /^[\p{M}\uFF9E\uFF9F]$/u;
const SEPARATOR_RE = /^[\s\p{P}\p{S}\p{Cc}\p{Z}]$/u;

function isInvisible(ch: string): boolean {
    return INVISIBLE_RE.test(ch);
}

/** Folds one code point of NFKC output (look-alikes, case, traditional → simplified, separators). */
function foldCodePoint(cp: number, drop: boolean, t2s: boolean): string {
    const ch = String.fromCodePoint(cp);
    if (isInvisible(ch)) return "";
    // Negative circled / negative squared Latin capitals (no NFKC decomposition): 🅐 🅰 → a.
    if (cp >= 0x1f150 && cp <= 0x1f169) return String.fromCharCode(0x61 + cp - 0x1f150);
    if (cp >= 0x1f170 && cp <= 0x1f189) return String.fromCharCode(0x61 + cp - 0x1f170);
    const direct = FOLD.get(cp);
    const lowered = direct ?? ch.toLowerCase();
    let out = "";
    for (const c of lowered) {
        const code = c.codePointAt(0)!;
        let r = direct === undefined ? FOLD.get(code) ?? c : c;
        if (t2s && r.length === 1) {
            const s = T2S.get(r.charCodeAt(0));
            if (s !== undefined) r = String.fromCharCode(s);
        }
        if (drop && SEPARATOR_RE.test(r)) continue;
        out += r;
    }
    return out;
}

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Folds a whole cluster (one character, or a base character followed by combining marks). */
function foldCluster(cluster: string, drop: boolean, t2s: boolean): string {
    cluster = cluster.replace(LONE_SURROGATE_RE, "\uFFFD");
    if (cluster.length <= 2 && isInvisible(cluster)) return "";
    let out = "";
    for (const ch of cluster.normalize("NFKC")) out += foldCodePoint(ch.codePointAt(0)!, drop, t2s);
    return out;
}

// Per-BMP-unit mark table: 0 unknown, 1 not a combining mark, 2 a combining mark that joins the previous character.
const MARK = new Uint8Array(0x10000);
function isMarkUnit(c: number): boolean {
    let m = MARK[c]!;
    if (m === 0) {
        const ch = String.fromCharCode(c);
        m = c >= 0xd800 && c <= 0xdfff ? 1 : MARK_RE.test(ch) && !isInvisible(ch) ? 2 : 1;
        MARK[c] = m;
    }
    return m === 2;
}

// Fold tables, one per option combination. bmp[c]: 0 not yet computed; -1 dropped; 1..0x10000 one unit
// (value - 1); >= MULTI: several units, multi[value - MULTI].
const MULTI = 0x20000;
interface FoldTable {
    readonly drop: boolean;
    readonly t2s: boolean;
    readonly bmp: Int32Array;
    readonly multi: string[];
    readonly multiIndex: Map<string, number>;
    /** Astral characters and clusters → folded string. */
    readonly other: Map<string, string>;
    /** ASCII: -1 dropped, else the unit. */
    readonly ascii: Int32Array;
}
const TABLES: (FoldTable | undefined)[] = [undefined, undefined, undefined, undefined];

function foldTable(drop: boolean, t2s: boolean): FoldTable {
    const k = (drop ? 1 : 0) | (t2s ? 2 : 0);
    let t = TABLES[k];
    if (!t) {
        const ascii = new Int32Array(128);
        for (let c = 0; c < 128; c++) {
            const s = foldCluster(String.fromCharCode(c), drop, t2s);
            ascii[c] = s.length === 1 ? s.charCodeAt(0) : -1;
        }
        t = { drop, t2s, bmp: new Int32Array(0x10000), multi: [], multiIndex: new Map(), other: new Map(), ascii };
        TABLES[k] = t;
    }
    return t;
}

function computeBmp(t: FoldTable, c: number): number {
    const s = foldCluster(String.fromCharCode(c), t.drop, t.t2s);
    let v: number;
    if (s.length === 0) v = -1;
    else if (s.length === 1) v = s.charCodeAt(0) + 1;
    else {
        let idx = t.multiIndex.get(s);
        if (idx === undefined) {
            idx = t.multi.length;
            t.multi.push(s);
            t.multiIndex.set(s, idx);
        }
        v = MULTI + idx;
    }
    t.bmp[c] = v;
    return v;
}

const OTHER_CACHE_LIMIT = 50_000;
function foldOther(t: FoldTable, piece: string): string {
    let s = t.other.get(piece);
    if (s === undefined) {
        s = foldCluster(piece, t.drop, t.t2s);
        if (t.other.size < OTHER_CACHE_LIMIT) t.other.set(piece, s);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------------
// The normaliser

interface Buffers {
    out: Uint16Array;
    /** Original start of each normalised unit. */
    st: Int32Array;
    /** Original length of each normalised unit's source (1..255). */
    ln: Uint8Array;
}

/** The longest original cluster (base + marks) that maps as one unit; longer runs of marks are split. */
const MAX_CLUSTER = 250;

function grow(b: Buffers, n: number, need: number): void {
    let cap = b.out.length;
    while (cap < need) cap = Math.max(cap * 2, 64);
    const out = new Uint16Array(cap);
    out.set(b.out.subarray(0, n));
    const st = new Int32Array(cap);
    st.set(b.st.subarray(0, n));
    const ln = new Uint8Array(cap);
    ln.set(b.ln.subarray(0, n));
    b.out = out;
    b.st = st;
    b.ln = ln;
}

/** Normalises `src` into `b` (which must have room for at least src.length units); returns the normalised length. */
function run(src: string, t: FoldTable, b: Buffers): number {
    const len = src.length;
    const ascii = t.ascii;
    const bmp = t.bmp;
    let out = b.out;
    let st = b.st;
    let ln = b.ln;
    let n = 0;
    let i = 0;
    // Invariant: out.length >= n + (len - i), so a character that yields at most one unit needs no check.
    while (i < len) {
        const c = src.charCodeAt(i);
        const nx = src.charCodeAt(i + 1); // NaN at the end: the comparisons below are false
        if (c < 0x80) {
            if (!(nx >= 0x300) || !isMarkUnit(nx)) {
                const v = ascii[c]!;
                if (v >= 0) {
                    out[n] = v;
                    st[n] = i;
                    ln[n] = 1;
                    n++;
                }
                i++;
                continue;
            }
        } else if (c < 0xd800 || c > 0xdfff) {
            let v = bmp[c]!;
            if (v === 0) v = computeBmp(t, c);
            if (v === -1) {
                i++;
                continue;
            }
            if (!(nx >= 0x300) || !isMarkUnit(nx)) {
                if (v <= 0x10000) {
                    out[n] = v - 1;
                    st[n] = i;
                    ln[n] = 1;
                    n++;
                } else {
                    const s = t.multi[v - MULTI]!;
                    const need = n + s.length + (len - i - 1);
                    if (need > out.length) {
                        grow(b, n, need);
                        out = b.out;
                        st = b.st;
                        ln = b.ln;
                    }
                    for (let k = 0; k < s.length; k++) {
                        out[n] = s.charCodeAt(k);
                        st[n] = i;
                        ln[n] = 1;
                        n++;
                    }
                }
                i++;
                continue;
            }
        }
        // Slow path: a surrogate pair, a lone surrogate, or a character followed by combining marks.
        let j = i + 1;
        if (c >= 0xd800 && c <= 0xdbff && j < len) {
            const d = src.charCodeAt(j);
            if (d >= 0xdc00 && d <= 0xdfff) j++;
        }
        while (j < len && j - i < MAX_CLUSTER) {
            const m = src.charCodeAt(j);
            if (m >= 0x300 && m < 0xd800 && isMarkUnit(m)) j++;
            else if (m >= 0xd800 && m <= 0xdbff && j + 1 < len && j + 2 - i <= MAX_CLUSTER) {
                const cp = src.codePointAt(j)!;
                if (cp > 0xffff && MARK_RE.test(String.fromCodePoint(cp)) && !isInvisible(String.fromCodePoint(cp))) j += 2;
                else break;
            } else break;
        }
        const s = foldOther(t, src.slice(i, j));
        if (s.length > 0) {
            const need = n + s.length + (len - j);
            if (need > out.length) {
                grow(b, n, need);
                out = b.out;
                st = b.st;
                ln = b.ln;
            }
            const span = j - i;
            for (let k = 0; k < s.length; k++) {
                out[n] = s.charCodeAt(k);
                st[n] = i;
                ln[n] = span;
                n++;
            }
        }
        i = j;
    }
    return n;
}

const CHUNK = 8192;
// The output never holds a lone surrogate (they become U+FFFD), so decoding it as UTF-16 is lossless;
// TextDecoder is several times faster than String.fromCharCode for large texts. Little-endian hosts only.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const UTF16 = LITTLE_ENDIAN ? new TextDecoder("utf-16le") : undefined;
function unitsToString(out: Uint16Array, n: number): string {
    if (n <= CHUNK || !UTF16) {
        if (n <= CHUNK) return String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[]);
        const parts: string[] = [];
        for (let a = 0; a < n; a += CHUNK) parts.push(String.fromCharCode.apply(null, out.subarray(a, Math.min(n, a + CHUNK)) as unknown as number[]));
        return parts.join("");
    }
    return UTF16.decode(out.subarray(0, n));
}

/**
 * Normalises `original` (see the file header for what that means) and keeps a map back to it:
 * `toOriginal(s, e)` is the smallest original range that produced normalised units [s, e).
 */
export function normalize(original: string, options: NormalizeOptions = {}): NormalizedTextInfo {
    const opts = resolveNormalizeOptions(options);
    const t = foldTable(opts.dropSeparators, opts.traditionalToSimplified);
    const cap = original.length + 16;
    const b: Buffers = { out: new Uint16Array(cap), st: new Int32Array(cap), ln: new Uint8Array(cap) };
    const n = run(original, t, b);
    const text = unitsToString(b.out, n);
    const st = b.st;
    const ln = b.ln;
    const olen = original.length;
    return {
        text,
        original,
        options: opts,
        toOriginal(start: number, end: number) {
            if (start < 0) start = 0;
            if (end > n) end = n;
            if (end <= start) {
                const at = start < n ? st[start]! : olen;
                return { start: at, end: at };
            }
            return { start: st[start]!, end: st[end - 1]! + ln[end - 1]! };
        },
    };
}

// Scratch buffers for normalizeString (terms are short; no map is kept).
const scratch: Buffers = { out: new Uint16Array(256), st: new Int32Array(256), ln: new Uint8Array(256) };

/** The normalised text only (no offset map), e.g. for lexicon terms. Same result as normalize(s, options).text. */
export function normalizeString(s: string, options: NormalizeOptions = {}): string {
    const t = foldTable(options.dropSeparators === true, options.traditionalToSimplified === true);
    if (scratch.out.length < s.length + 16) grow(scratch, 0, s.length + 16);
    const n = run(s, t, scratch);
    return unitsToString(scratch.out, n);
}
