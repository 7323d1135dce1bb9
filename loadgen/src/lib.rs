//! Load generator (see the crate docs once written).
