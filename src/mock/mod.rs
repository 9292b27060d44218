//! A mock FoxAPI server that speaks the contract.
