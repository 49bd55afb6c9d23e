//! Accounts: creating them, and the first-start bootstrap of the root user's access key.

use crate::error::Error;
use crate::ids::{access_key_id, account_id, secret_access_key};
use crate::model::{AccessKey, Account, AccountId, KeyStatus};
use crate::secret::Secret;
use crate::service::Service;
use crate::state::{Mutation, State};

/// What the first-start bootstrap did.
#[derive(Debug)]
pub struct Bootstrap {
    /// The first account.
    pub account: AccountId,
    /// Whether this start created it.
    pub created_account: bool,
    /// A root access key generated now (no key was configured on a first start).
    pub generated_root_key: Option<(String, Secret)>,
}

impl State {
    /// The account created first (the one the root-credential variables configure).
    pub fn first_account(&self) -> Option<&Account> {
        self.accounts
            .values()
            .filter_map(|a| a.account.as_ref())
            .min_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)))
    }
}

impl Service {
    /// Creates an account (a random 12-digit id unless `id` is given) with its root user.
    pub fn create_account(&self, id: Option<&str>) -> Result<AccountId, Error> {
        self.write(|state| {
            let account = self.new_account(state, id)?;
            let id = account.id;
            Ok((vec![Mutation::Account(account)], id))
        })
    }

    /// Creates an account and its root user's access key in one transaction, so no crash
    /// leaves an account whose root user has no credentials: `root_key` when given, else a
    /// new one (returned, as it is shown once).
    pub fn create_account_with_root_key(
        &self,
        id: Option<&str>,
        root_key: Option<(&str, &Secret)>,
    ) -> Result<(AccountId, Option<(String, Secret)>), Error> {
        let (key_id, secret) = match root_key {
            Some((id, secret)) => (id.to_owned(), secret.clone()),
            None => (
                access_key_id(self.random())?,
                Secret::new(secret_access_key(self.random())?),
            ),
        };
        let account = self.write(|state| {
            if state.key_accounts.contains_key(&key_id) {
                return Err(Error::InvalidInput(format!(
                    "access key {key_id} belongs to another principal"
                )));
            }
            let account = self.new_account(state, id)?;
            let id = account.id;
            let key = self.root_key(state, &id, &key_id, &secret)?;
            Ok((vec![Mutation::Account(account), key], id))
        })?;
        Ok((account, root_key.is_none().then_some((key_id, secret))))
    }

    /// A new account record: `id`, or a random 12-digit one.
    fn new_account(&self, state: &State, id: Option<&str>) -> Result<Account, Error> {
        let id = match id {
            Some(text) => AccountId::parse(text).ok_or_else(|| {
                Error::InvalidInput(format!("`{text}` is not a 12-digit account id."))
            })?,
            None => account_id(self.random())?,
        };
        if state.account(&id).is_some_and(|a| a.account.is_some()) {
            return Err(Error::EntityAlreadyExists(format!(
                "Account {id} already exists."
            )));
        }
        // The first account (the one the root-credential settings configure) is the
        // earliest created, so a new account is dated after every other, even within the
        // same second.
        let latest = state
            .accounts
            .values()
            .filter_map(|a| a.account.as_ref())
            .map(|a| a.created)
            .max();
        let created = match latest {
            Some(latest) if latest >= self.now() => latest + 1,
            _ => self.now(),
        };
        Ok(Account {
            id,
            created,
            alias: None,
        })
    }

    /// The access key `id` for the root user of `account`, within the per-user key limit.
    fn root_key(
        &self,
        state: &State,
        account: &AccountId,
        id: &str,
        secret: &Secret,
    ) -> Result<Mutation, Error> {
        let keys = state
            .account(account)
            .map_or(0, |a| a.keys_of(None).count());
        if keys >= crate::ops::KEYS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "the root user of {account} already has {keys} access keys"
            )));
        }
        Ok(Mutation::AccessKey(AccessKey {
            id: id.to_owned(),
            account: *account,
            user: None,
            status: KeyStatus::Active,
            created: self.now(),
            secret: secret.clone(),
            last_used: None,
        }))
    }

    /// The first start: creates the first account with its root user's access key (the
    /// configured one, or a new one) in one transaction. On later starts a configured key is
    /// only checked: a different secret for it is an error, and a key deleted since (through
    /// the API) is not created again, only warned about.
    pub fn bootstrap(
        &self,
        account_id: Option<&str>,
        root_key: Option<(&str, &Secret)>,
    ) -> Result<Bootstrap, Error> {
        let existing = self.read(|state| Ok(state.first_account().map(|a| a.id)))?;
        let Some(account) = existing else {
            let (account, generated_root_key) =
                self.create_account_with_root_key(account_id, root_key)?;
            return Ok(Bootstrap {
                account,
                created_account: true,
                generated_root_key,
            });
        };
        if let Some(wanted) = account_id.filter(|wanted| *wanted != account) {
            return Err(Error::InvalidInput(format!(
                "the data folder already holds account {account}; it cannot become {wanted}"
            )));
        }
        if let Some((id, secret)) = root_key {
            let known = self.read(|state| {
                Ok(state
                    .account(&account)
                    .and_then(|a| a.access_keys.get(id))
                    .map(|k| k.secret.clone()))
            })?;
            match known {
                Some(stored) if stored == *secret => {}
                Some(_) => {
                    return Err(Error::InvalidInput(format!(
                        "access key {id} already exists with a different secret; WARDEN_ROOT_SECRET_ACCESS_KEY does not match it"
                    )));
                }
                // The variables bootstrap the first start only: a root key deleted through
                // the API stays deleted.
                None => tracing::warn!(
                    access_key_id = id,
                    %account,
                    "WARDEN_ROOT_ACCESS_KEY_ID names a key the root user does not have (deleted since the first start?); it is not created again: the root credential variables only apply to a first start"
                ),
            }
        }
        Ok(Bootstrap {
            account,
            created_account: false,
            generated_root_key: None,
        })
    }
}
