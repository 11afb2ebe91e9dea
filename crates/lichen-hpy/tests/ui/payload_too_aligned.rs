// HPy aligns an object's struct to max_align_t (16 bytes): a payload that
// needs more is refused.
use lichen_hpy::hpymodule;

#[hpymodule]
mod m {
    #[pyclass]
    #[repr(align(64))]
    struct CacheLine {
        bytes: [u8; 64],
    }
}

fn main() {}
