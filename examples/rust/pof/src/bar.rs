use lichen_hpy::hpymodule;

/// HPy C++ Proof of Concept
#[hpymodule(name = "pofpackage.bar")]
pub mod bar {
    use lichen_hpy::prelude::*;

    /// The C++ original's class, a plain Rust struct here.
    struct Bar {
        foo: i64,
    }

    impl Bar {
        fn boo(&self, obj: &Obj<'_>) -> PyResult<i64> {
            Ok(self.foo + obj.extract::<i64>()?)
        }
    }

    #[pyfunction]
    fn hello(obj: &Obj<'_>) -> PyResult<i64> {
        Bar { foo: 21 }.boo(obj)
    }
}
