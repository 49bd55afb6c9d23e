//! [`Action`]: the IAM and STS operations as a type, generated from the service models by
//! `tools/gen-api-model`, and the few actions policies name that are no operation of their
//! own.
//!
//! Everything that depends on which operation a request is (dispatch in the core, which
//! calls are unsigned, heavy or writes at the edge, metrics labels, the action a handler
//! authorizes) reads it from the `Action`, never from the request's text.

mod generated;

pub use generated::Action;

/// The APIs Warden answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    Iam,
    Sts,
}

impl Api {
    /// The API's service name, as in credential scopes and action names (`iam`, `sts`).
    pub const fn name(self) -> &'static str {
        match self {
            Api::Iam => "iam",
            Api::Sts => "sts",
        }
    }
}

impl Action {
    /// The operation named `name` in either API: IAM and STS share no operation name (the
    /// generator checks it). The edge resolves a request's action with [`Action::from_name`]
    /// and the API its credential scope names.
    pub fn named(name: &str) -> Option<Action> {
        Action::from_name(Api::Iam, name).or_else(|| Action::from_name(Api::Sts, name))
    }
}

/// `iam:PassRole`: handing a role to a service (AddRoleToInstanceProfile).
pub const PASS_ROLE: &str = "iam:PassRole";
/// `sts:TagSession`: passing session tags when a session is made.
pub const TAG_SESSION: &str = "sts:TagSession";
/// `sts:SetSourceIdentity`: setting a session's source identity.
pub const SET_SOURCE_IDENTITY: &str = "sts:SetSourceIdentity";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_found_by_its_name_in_its_own_api_only() {
        for action in Action::ALL {
            let other = match action.api() {
                Api::Iam => Api::Sts,
                Api::Sts => Api::Iam,
            };
            assert_eq!(Action::from_name(action.api(), action.name()), Some(action));
            assert_eq!(Action::from_name(other, action.name()), None);
            assert_eq!(
                action.iam_action(),
                format!("{}:{}", action.api().name(), action.name())
            );
        }
        assert_eq!(Action::from_name(Api::Iam, "createuser"), None);
        assert_eq!(Action::from_name(Api::Iam, ""), None);
    }

    #[test]
    fn only_the_federation_calls_are_unsigned() {
        let unsigned: Vec<Action> = Action::ALL.into_iter().filter(|a| !a.signed()).collect();
        assert_eq!(
            unsigned,
            [
                Action::AssumeRoleWithSAML,
                Action::AssumeRoleWithWebIdentity
            ]
        );
    }

    #[test]
    fn reads_and_writes_follow_the_generators_rule() {
        for action in [
            Action::GetUser,
            Action::ListUsers,
            Action::DecodeAuthorizationMessage,
            Action::SimulateCustomPolicy,
            Action::GetContextKeysForPrincipalPolicy,
            Action::AssumeRole,
            Action::GetSessionToken,
            Action::GetCallerIdentity,
        ] {
            assert!(!action.writes(), "{action:?}");
        }
        for action in [
            Action::CreateUser,
            Action::TagRole,
            Action::GenerateCredentialReport,
            Action::AssumeRoleWithSAML,
            Action::EnableMFADevice,
        ] {
            assert!(action.writes(), "{action:?}");
        }
    }

    #[test]
    fn the_simulator_and_account_wide_reads_are_heavy() {
        for action in [
            Action::SimulateCustomPolicy,
            Action::SimulatePrincipalPolicy,
            Action::GetContextKeysForCustomPolicy,
            Action::GetContextKeysForPrincipalPolicy,
            Action::GetAccountAuthorizationDetails,
            Action::GenerateCredentialReport,
        ] {
            assert!(action.heavy(), "{action:?}");
        }
        for action in [
            Action::GetUser,
            Action::ListUsers,
            Action::CreateUser,
            Action::AssumeRole,
        ] {
            assert!(!action.heavy(), "{action:?}");
        }
    }
}
