// The call's token cannot be sent to another thread either.
use lichen_hpy::hpymodule;

#[hpymodule]
mod m {
    use lichen_hpy::prelude::*;

    #[pyfunction]
    fn spawn(py: Python<'_>) {
        std::thread::spawn(move || {
            let _ = py.none();
        });
    }
}

fn main() {}
