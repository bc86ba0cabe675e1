/** Prints the path of the Chromium binary found (see `CHROMIUM_PATHS`), or nothing. */
import { findChromium } from "./_chromium.ts";
console.log((await findChromium()) ?? "");
