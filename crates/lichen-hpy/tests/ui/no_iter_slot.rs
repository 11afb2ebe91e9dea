// HPy 0.9 has no tp_iter slot: the error says what to do instead.
use lichen_hpy::hpymodule;

#[hpymodule]
mod m {
    #[pyclass]
    struct Seq {
        n: usize,
    }

    #[pymethods]
    impl Seq {
        fn __iter__(&self) -> usize {
            self.n
        }
    }
}

fn main() {}
