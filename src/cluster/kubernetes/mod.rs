//! The live course cluster: Strimzi on Kubernetes, reached through the Kubernetes API.

pub mod strimzi;
