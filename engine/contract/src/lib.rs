//! The backend contract suite (written below).
