//! The `warden` binary: its command line and what each command runs.

mod account_cli;
mod logging;
mod password_cli;
mod policy_cli;
mod serve;
mod tls;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Warden: a self-hosted IAM and STS service that speaks AWS's APIs.
#[derive(Debug, Parser)]
#[command(name = "warden", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the IAM and STS API server.
    Serve(serve::ServeArgs),
    /// Offline tools for policy documents.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
    /// Accounts of a deployment (on a stopped server's data folder).
    #[command(subcommand)]
    Account(account_cli::AccountCommand),
    /// The root user (on a stopped server's data folder).
    #[command(subcommand)]
    Root(password_cli::RootCommand),
    /// Console passwords (on a stopped server's data folder).
    #[command(subcommand)]
    Password(password_cli::PasswordCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Policy(command) => policy_cli::run(command),
        Command::Account(command) => account_cli::run(command).map(|()| ExitCode::SUCCESS),
        Command::Root(command) => password_cli::run_root(command).map(|()| ExitCode::SUCCESS),
        Command::Password(command) => {
            password_cli::run_password(command).map(|()| ExitCode::SUCCESS)
        }
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::FAILURE
    })
}
