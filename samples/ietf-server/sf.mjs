// SPDX-License-Identifier: Apache-2.0
// Structured Field values (RFC 9651) for the strict draft server: Items and
// Dictionaries parsed by the RFC's algorithms (section 4.2); anything that
// does not parse returns null, and the caller ignores the whole field, as
// the draft says. Dates and Display Strings are parsed too, so that a
// valid field is never refused for a type the server does not use.

class Input {
  constructor(text) { this.s = text; this.i = 0; }
  get empty() { return this.i >= this.s.length; }
  get c() { return this.s[this.i]; }
  skipSp() { while (!this.empty && this.c === ' ') this.i++; }
  skipOws() { while (!this.empty && (this.c === ' ' || this.c === '\t')) this.i++; }
}

const fail = () => { throw new SyntaxError('not a structured field'); };
const isDigit = (c) => c >= '0' && c <= '9';
const isLcAlpha = (c) => c >= 'a' && c <= 'z';
const isAlpha = (c) => isLcAlpha(c) || (c >= 'A' && c <= 'Z');
const TCHAR = "!#$%&'*+-.^_`|~";
const isTchar = (c) => isAlpha(c) || isDigit(c) || TCHAR.includes(c);

function key(p) {
  if (p.empty || !(isLcAlpha(p.c) || p.c === '*')) fail();
  const start = p.i;
  while (!p.empty && (isLcAlpha(p.c) || isDigit(p.c) || '_-.*'.includes(p.c))) p.i++;
  return p.s.slice(start, p.i);
}

function number(p) {
  let sign = 1;
  if (p.c === '-') { sign = -1; p.i++; }
  if (p.empty || !isDigit(p.c)) fail();
  let text = '';
  let decimal = false;
  while (!p.empty) {
    const c = p.c;
    if (isDigit(c)) text += c;
    else if (c === '.' && !decimal) {
      if (text.length > 12) fail();
      text += c;
      decimal = true;
    } else break;
    p.i++;
    if (!decimal && text.length > 15) fail();
    if (decimal && text.length > 16) fail();
  }
  if (!decimal) return { type: 'integer', value: sign * Number(text) };
  if (text.endsWith('.') || text.length - text.indexOf('.') - 1 > 3) fail();
  return { type: 'decimal', value: sign * Number(text) };
}

function bareItem(p) {
  if (p.empty) fail();
  const c = p.c;
  if (c === '-' || isDigit(c)) return number(p);
  if (c === '"') {
    p.i++;
    let out = '';
    while (!p.empty) {
      const ch = p.s[p.i++];
      if (ch === '\\') {
        if (p.empty || !'"\\'.includes(p.c)) fail();
        out += p.s[p.i++];
      } else if (ch === '"') {
        return { type: 'string', value: out };
      } else if (ch < ' ' || ch > '~') {
        fail();
      } else {
        out += ch;
      }
    }
    fail();
  }
  if (isAlpha(c) || c === '*') {
    const start = p.i++;
    while (!p.empty && (isTchar(p.c) || p.c === ':' || p.c === '/')) p.i++;
    return { type: 'token', value: p.s.slice(start, p.i) };
  }
  if (c === ':') {
    const end = p.s.indexOf(':', p.i + 1);
    if (end < 0) fail();
    const b64 = p.s.slice(p.i + 1, end);
    if (!/^[A-Za-z0-9+/=]*$/.test(b64)) fail();
    p.i = end + 1;
    return { type: 'binary', value: Buffer.from(b64, 'base64') };
  }
  if (c === '?') {
    p.i++;
    if (p.empty || (p.c !== '0' && p.c !== '1')) fail();
    return { type: 'boolean', value: p.s[p.i++] === '1' };
  }
  if (c === '@') {
    p.i++;
    const n = number(p);
    if (n.type !== 'integer') fail();
    return { type: 'date', value: n.value };
  }
  if (c === '%') {
    p.i++;
    if (p.empty || p.c !== '"') fail();
    p.i++;
    const bytes = [];
    while (!p.empty) {
      const ch = p.s[p.i++];
      if (ch < ' ' || ch > '~') fail();
      if (ch === '%') {
        const hex = p.s.slice(p.i, p.i + 2);
        if (!/^[0-9a-f]{2}$/.test(hex)) fail();
        bytes.push(parseInt(hex, 16));
        p.i += 2;
      } else if (ch === '"') {
        try {
          return { type: 'displaystring',
            value: new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes)) };
        } catch { fail(); }
      } else {
        bytes.push(ch.charCodeAt(0));
      }
    }
    fail();
  }
  fail();
}

function parameters(p) {
  const params = new Map();
  while (!p.empty && p.c === ';') {
    p.i++;
    p.skipSp();
    const k = key(p);
    let value = { type: 'boolean', value: true };
    if (!p.empty && p.c === '=') { p.i++; value = bareItem(p); }
    params.set(k, value);
  }
  return params;
}

function item(p) {
  const value = bareItem(p);
  return { ...value, params: parameters(p) };
}

function itemOrInnerList(p) {
  if (p.c !== '(') return item(p);
  p.i++;
  const items = [];
  while (!p.empty) {
    p.skipSp();
    if (p.c === ')') {
      p.i++;
      return { type: 'innerlist', value: items, params: parameters(p) };
    }
    items.push(item(p));
    if (p.empty || (p.c !== ' ' && p.c !== ')')) fail();
  }
  fail();
}

function whole(text, parse) {
  if (typeof text !== 'string') return null;
  const p = new Input(text);
  try {
    p.skipSp();
    const out = parse(p);
    p.skipSp();
    return p.empty ? out : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

// An Item ({type, value, params}), or null.
export function parseItem(text) {
  return whole(text, item);
}

// A Dictionary (a Map of key to Item or Inner List), or null.
export function parseDictionary(text) {
  return whole(text, (p) => {
    const dict = new Map();
    while (!p.empty) {
      const k = key(p);
      if (!p.empty && p.c === '=') {
        p.i++;
        dict.set(k, itemOrInnerList(p));
      } else {
        dict.set(k, { type: 'boolean', value: true, params: parameters(p) });
      }
      p.skipOws();
      if (p.empty) break;
      if (p.c !== ',') fail();
      p.i++;
      p.skipOws();
      if (p.empty) fail();
    }
    return dict;
  });
}

// A non-negative Integer Item's value, or null (the field is then ignored).
export function nonNegativeInteger(text) {
  const it = parseItem(text);
  return it && it.type === 'integer' && it.value >= 0 ? it.value : null;
}

// A Boolean Item's value, or null.
export function boolean(text) {
  const it = parseItem(text);
  return it && it.type === 'boolean' ? it.value : null;
}
