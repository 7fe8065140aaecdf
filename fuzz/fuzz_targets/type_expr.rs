#![no_main]

#[allow(dead_code)] // each target uses one function of the shared module
#[path = "../../tests/fuzz/codegen.rs"]
mod codegen;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = codegen::type_expr(&mut arbitrary::Unstructured::new(data));
});
