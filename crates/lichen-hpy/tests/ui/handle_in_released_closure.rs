// Between LeavePythonExecution and ReenterPythonExecution no handle may be
// used: handles are not Send, and the closure must be.
use lichen_hpy::hpymodule;

#[hpymodule]
mod m {
    use lichen_hpy::prelude::*;

    #[pyfunction]
    fn length(py: Python<'_>, obj: &Obj<'_>) -> usize {
        py.allow_threads(|| obj.len().unwrap_or(0))
    }
}

fn main() {}
