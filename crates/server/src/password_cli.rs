//! `warden root set-password` and `warden password check`: the root user's password, and the
//! password sign-in check the console uses, on a stopped server's data folder.
//!
//! Like `warden account create`, they take the data folder's lock (a running server keeps the
//! state in memory and would not see a change written behind its back). A password is read
//! from standard input or from `--password-file`, never from the command line, where other
//! users could see it; one trailing line break is not part of it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use warden_core::ids::OsRandom;
use warden_core::time::SystemClock;
use warden_core::{PasswordChange, Service};
use warden_store::SqliteStore;
use zeroize::Zeroizing;

use crate::serve::{lock_data, master_key};

#[derive(Debug, Subcommand)]
pub enum RootCommand {
    /// Sets the root user's console password (read from standard input, or from
    /// --password-file) in a stopped server's data folder. It must have 8 to 128 characters
    /// and three of: uppercase letters, lowercase letters, numbers, symbols.
    SetPassword(SetPasswordArgs),
}

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Checks a console sign-in (account, user name, password from standard input or
    /// --password-file) against a stopped server's data folder, as the console does: prints
    /// the principal's ARN and whether its password must be changed, or fails with one answer
    /// for every wrong account, user or password.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// The data folder of the (stopped) server [default: ./warden-data].
    #[arg(long, env = "WARDEN_DATA")]
    data: Option<PathBuf>,
    /// Read the password from this file instead of standard input.
    #[arg(long)]
    password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The account whose root user it is (default: the first account).
    #[arg(long)]
    account_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The account: its 12-digit id or its alias.
    #[arg(long)]
    account: String,
    /// The user name (`root` for the root user).
    #[arg(long)]
    user_name: String,
}

pub fn run_root(command: RootCommand) -> anyhow::Result<()> {
    match command {
        RootCommand::SetPassword(args) => set_password(args),
    }
}

pub fn run_password(command: PasswordCommand) -> anyhow::Result<()> {
    match command {
        PasswordCommand::Check(args) => check(args),
    }
}

/// The service over a stopped server's data folder, with the folder's lock held.
fn open(data: &DataArgs) -> anyhow::Result<(Service, std::fs::File)> {
    let folder = data
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from("./warden-data"));
    let database = folder.join("warden.db");
    if !database.exists() {
        bail!(
            "{} holds no Warden data: start `warden serve --data {}` once first",
            folder.display(),
            folder.display()
        );
    }
    let lock = lock_data(&folder)?;
    let master = master_key(&folder)?;
    let store = SqliteStore::open(&database).context("opening the database")?;
    let service = Service::open(
        Arc::new(store),
        master,
        Arc::new(SystemClock),
        Arc::new(OsRandom),
    )
    .context("loading the state")?;
    Ok((service, lock))
}

/// The password from `file`, or else standard input, without one trailing line break.
fn read_password(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    match file {
        Some(path) => {
            let mut file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            file.read_to_string(&mut text)
                .with_context(|| format!("reading {}", path.display()))?;
        }
        None => {
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the password from standard input")?;
        }
    }
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        bail!("no password was given");
    }
    Ok(text)
}

fn set_password(args: SetPasswordArgs) -> anyhow::Result<()> {
    let password = read_password(args.data.password_file.as_deref())?;
    let (service, _lock) = open(&args.data)?;
    let account = match args.account_id {
        Some(id) => id,
        None => service
            .read(|state| Ok(state.first_account().map(|a| a.id.to_string())))?
            .context("the data folder has no account yet")?,
    };
    service
        .set_root_password(&account, &password)
        .map_err(|e| anyhow::anyhow!("{}", e.message()))
        .with_context(|| format!("setting the root password of account {account}"))?;
    eprintln!("warden: set the root user's password of account {account}");
    Ok(())
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let password = read_password(args.data.password_file.as_deref())?;
    let (service, _lock) = open(&args.data)?;
    let signed = service.check_sign_in(&args.account, &args.user_name, &password)?;
    let change = signed.password_change.map(|change| match change {
        PasswordChange::ResetRequired => "ResetRequired",
        PasswordChange::Expired => "Expired",
    });
    let output = serde_json::json!({
        "Account": signed.caller.account,
        "Arn": signed.arn,
        "PasswordChange": change,
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}
