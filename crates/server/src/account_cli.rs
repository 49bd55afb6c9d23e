//! `warden account create`: another account in the same deployment, with its root user's
//! access key.
//!
//! It works on the data folder of a stopped server: a running server keeps every account in
//! memory and would not see one written behind its back, so the command takes the folder's
//! lock (`DATA/warden.lock`, which `warden serve` holds while it runs) and refuses to run
//! beside a server. The new account is there on the server's next start.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use warden_core::Service;
use warden_core::ids::OsRandom;
use warden_core::time::SystemClock;
use warden_store::SqliteStore;

use crate::serve::{lock_data, master_key};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Creates an account and its root user's access key in a stopped server's data folder,
    /// and prints them as JSON (`AccountId`, `AccessKeyId`, `SecretAccessKey`); the secret is
    /// not shown again.
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The data folder of the (stopped) server [default: ./warden-data].
    #[arg(long, env = "WARDEN_DATA")]
    data: Option<PathBuf>,
    /// The new account's 12-digit id (default: random).
    #[arg(long)]
    account_id: Option<String>,
}

pub fn run(command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create(args) => create(args),
    }
}

fn create(args: CreateArgs) -> anyhow::Result<()> {
    let data = args.data.unwrap_or_else(|| PathBuf::from("./warden-data"));
    let database = data.join("warden.db");
    if !database.exists() {
        bail!(
            "{} holds no Warden data: start `warden serve --data {}` once first",
            data.display(),
            data.display()
        );
    }
    let _lock = lock_data(&data)?;
    let master = master_key(&data)?;
    let store = SqliteStore::open(&database).context("opening the database")?;
    let service = Service::open(
        Arc::new(store),
        master,
        Arc::new(SystemClock),
        Arc::new(OsRandom),
    )
    .context("loading the state")?;
    let (account, generated) = service
        .create_account_with_root_key(args.account_id.as_deref(), None)
        .context("creating the account and its root user's access key")?;
    let (key_id, secret) =
        generated.context("no access key was generated for the new account's root user")?;
    let output = serde_json::json!({
        "AccountId": account,
        "AccessKeyId": key_id,
        "SecretAccessKey": secret.expose(),
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}
