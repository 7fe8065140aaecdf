#![no_main]

#[allow(dead_code)] // each target uses one function of the shared module
#[path = "../../tests/fuzz/codegen.rs"]
mod codegen;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = codegen::spec_load(&mut arbitrary::Unstructured::new(data));
});
