/* Preact with htm: components written as tagged templates, no JSX and no build step. htm
 * puts every ${value} in as text or as a property, never as HTML, so what people wrote
 * cannot become markup. */
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
