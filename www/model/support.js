// What the page needs of the browser's WebAssembly engine (no DOM here). The module is built
// with WebAssembly SIMD (.cargo/config.toml); an engine without it refuses the whole module
// with a compile error that names an opcode, so the page asks first and says it in words.

/** A module of one function returning a 128-bit constant: valid only where SIMD is. */
const SIMD_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0x0b, // code: v128.const 0
);

/** Null where the module can run; otherwise what is missing, in words. */
export function missingWasmSupport(wasm = globalThis.WebAssembly) {
  if (typeof wasm?.validate !== "function") {
    return "this browser runs no WebAssembly (or has it switched off)";
  }
  if (!wasm.validate(SIMD_PROBE)) {
    return "this browser's WebAssembly has no SIMD, which the module is built with (Chrome or Edge 91, Firefox 89, Safari 16.4 or later have it)";
  }
  return null;
}
