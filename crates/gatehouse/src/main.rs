//! The `gatehouse` binary: parses arguments, wires the crates together and runs.

mod call;
mod cli;
mod commands;
mod policy_test;
mod provision;
mod secrets_key;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Cert(command) => commands::cert(command),
        Command::Policy(command) => commands::policy(command),
        Command::Call(args) => call::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
