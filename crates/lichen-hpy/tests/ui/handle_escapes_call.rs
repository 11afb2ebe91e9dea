// A handle kept past its call (here in a thread-local) would outlive the
// call's context: its lifetime `'py` forbids it.
use lichen_hpy::hpymodule;
use lichen_hpy::Obj;
use std::cell::RefCell;

thread_local! {
    static KEPT: RefCell<Vec<Obj<'static>>> = const { RefCell::new(Vec::new()) };
}

#[hpymodule]
mod m {
    use lichen_hpy::prelude::*;

    #[pyfunction]
    fn keep(obj: &Obj<'_>) {
        super::KEPT.with(|k| k.borrow_mut().push(obj.clone()));
    }
}

fn main() {}
