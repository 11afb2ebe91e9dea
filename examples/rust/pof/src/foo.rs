use lichen_hpy::hpymodule;

/// HPy Proof of Concept
#[hpymodule(name = "pofpackage.foo")]
pub mod foo {
    #[pyfunction]
    fn hello() -> &'static str {
        "hello from pofpackage.foo"
    }
}
