// WCAG 2 contrast of every visible piece of text on a page against the background it is drawn on, computed in the
// page from the styles the browser applied (colours resolved to sRGB through a canvas, so oklch() works too).
import type { Page } from "@playwright/test";

export type TContrastFailure = {
  text: string;
  /** tag and classes of the element that holds the text */
  element: string;
  color: string;
  background: string;
  ratio: number;
  required: number;
};

/**
 * Text below 4.5:1 (3:1 for large text: ≥ 24px, or ≥ 18.66px bold). Skipped, as WCAG 1.4.3 allows: text of
 * disabled controls, and text nobody can see (hidden, clipped to a pixel like sr-only). Placeholders count.
 */
export async function findLowContrastText(page: Page): Promise<TContrastFailure[]> {
  return page.evaluate(() => {
    type TRgba = [number, number, number, number];
    const canvas = document.createElement("canvas");
    canvas.width = 1;
    canvas.height = 1;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (context === null) throw new Error("no 2d canvas");

    const toRgba = (css: string): TRgba => {
      context.clearRect(0, 0, 1, 1);
      context.fillStyle = "#000";
      context.fillStyle = css;
      context.fillRect(0, 0, 1, 1);
      const [r = 0, g = 0, b = 0, a = 0] = context.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const over = (top: TRgba, bottom: TRgba): TRgba => {
      const a = top[3];
      return [
        top[0] * a + bottom[0] * (1 - a),
        top[1] * a + bottom[1] * (1 - a),
        top[2] * a + bottom[2] * (1 - a),
        1,
      ];
    };
    const luminance = ([r, g, b]: TRgba): number => {
      const channel = (value: number) => {
        const c = value / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a: TRgba, b: TRgba): number => {
      const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
    };
    const hex = ([r, g, b]: TRgba) =>
      `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;

    /** The background an element's text is drawn on: its own and its ancestors' colours, composed. */
    const backgroundOf = (element: Element): TRgba => {
      const layers: TRgba[] = [];
      for (let node: Element | null = element; node !== null; node = node.parentElement) {
        const layer = toRgba(getComputedStyle(node).backgroundColor);
        if (layer[3] > 0) layers.push(layer);
        if (layer[3] >= 1) break;
      }
      return layers.reduceRight<TRgba>((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    /** Opacity of the element and its ancestors, multiplied. */
    const opacityOf = (element: Element): number => {
      let product = 1;
      for (let node: Element | null = element; node !== null; node = node.parentElement) {
        product *= Number(getComputedStyle(node).opacity);
      }
      return product;
    };
    const isLarge = (style: CSSStyleDeclaration) => {
      const size = Number.parseFloat(style.fontSize);
      return size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    };
    const disabled = (element: Element) =>
      element.closest(
        "button:disabled, input:disabled, select:disabled, textarea:disabled, fieldset:disabled, [aria-disabled='true']",
      ) !== null;
    const describe = (element: Element) =>
      `${element.tagName.toLowerCase()}.${(element.getAttribute("class") ?? "").split(/\s+/).join(".")}`;

    const failures: TContrastFailure[] = [];
    const check = (element: Element, text: string, css: string, style: CSSStyleDeclaration) => {
      const background = backgroundOf(element);
      const [r, g, b, a] = toRgba(css);
      const color = over([r, g, b, a * opacityOf(element)], background);
      const required = isLarge(style) ? 3 : 4.5;
      const value = ratio(color, background);
      if (value < required) {
        failures.push({
          text: text.trim().slice(0, 60),
          element: describe(element),
          color: hex(color),
          background: hex(background),
          ratio: Math.round(value * 100) / 100,
          required,
        });
      }
    };
    const visible = (element: Element, rects: DOMRectList) =>
      element.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
      Array.from(rects).some((rect) => rect.width > 1 && rect.height > 1);

    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const element = node.parentElement;
      const text = node.textContent ?? "";
      if (element === null || seen.has(element) || text.trim() === "") continue;
      // <option>s are drawn by the browser's own popup, not on the page.
      if (element.closest("select, script, style, noscript, template") !== null) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (!visible(element, range.getClientRects()) || disabled(element)) continue;
      seen.add(element);
      const style = getComputedStyle(element);
      check(element, text, style.color, style);
    }
    // Controls whose text is their value (checkboxes and radios have none to read).
    const controls = document.querySelectorAll(
      "input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file]), select, textarea",
    );
    for (const control of Array.from(controls)) {
      if (!visible(control, control.getClientRects()) || disabled(control)) continue;
      const style = getComputedStyle(control);
      const value =
        control instanceof HTMLSelectElement
          ? (control.selectedOptions[0]?.textContent ?? "")
          : control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement
            ? control.value
            : "";
      const placeholder = control.getAttribute("placeholder") ?? "";
      if (value.trim() !== "") check(control, value, style.color, style);
      else if (placeholder !== "") {
        check(control, placeholder, getComputedStyle(control, "::placeholder").color, style);
      }
    }
    return failures;
  });
}

/** The document scrolls sideways: something is wider than the window. */
export async function horizontalOverflow(
  page: Page,
): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
}
