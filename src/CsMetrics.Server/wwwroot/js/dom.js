// Safe DOM building. Every piece of text goes through textContent (via text nodes); nothing in
// this dashboard ever assigns data to innerHTML. Attributes are set one by one with
// setAttribute, and never "style" or "on*" (the Content-Security-Policy forbids both anyway).

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Creates an element. `props` keys:
 *   class    — string or array of class names (falsy entries skipped)
 *   dataset  — object of data-* values
 *   on       — object of event name → listener
 *   attrs    — object of attribute name → value (null/false skipped, true → "")
 *   any other key is assigned as a DOM property (e.g. href, type, value, title, hidden).
 * Children: strings/numbers (become text nodes), nodes, arrays, null/undefined/false (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** Like h() for SVG elements; every prop except class/dataset/on is an attribute. */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") {
        el.setAttribute("class", classNames(value));
      } else if (key === "on") {
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
      } else {
        checkAttribute(key);
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

function applyProps(el, props) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    switch (key) {
      case "class": {
        const c = classNames(value);
        if (c) el.className = c;
        break;
      }
      case "dataset":
        for (const [k, v] of Object.entries(value)) {
          if (v !== null && v !== undefined) el.dataset[k] = String(v);
        }
        break;
      case "on":
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
        break;
      case "attrs":
        for (const [k, v] of Object.entries(value)) {
          if (v === null || v === undefined || v === false) continue;
          checkAttribute(k);
          el.setAttribute(k, v === true ? "" : String(v));
        }
        break;
      case "innerHTML":
      case "outerHTML":
        throw new Error("h(): markup properties are not allowed");
      default:
        el[key] = value;
    }
  }
}

function checkAttribute(name) {
  const n = name.toLowerCase();
  if (n === "style" || n.startsWith("on")) {
    throw new Error(`h(): attribute '${name}' is not allowed`);
  }
}

function classNames(value) {
  return (Array.isArray(value) ? value : [value]).filter(Boolean).join(" ");
}
