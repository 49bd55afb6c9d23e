"""A real SAML identity provider for the end-to-end suite: pysaml2 signing with Debian's
xmlsec1, under a key and certificate made by openssl when the provider is created.

`Idp.metadata()` is the IdP's metadata document (what CreateSAMLProvider takes) and
`Idp.response(...)` a base64 samlp:Response for AWS (what AssumeRoleWithSAML takes), signed
with RSA-SHA256 by default."""

import base64
import shutil
import subprocess
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", module="saml2")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.authn_context import INTERNETPROTOCOLPASSWORD  # noqa: E402
from saml2.config import IdPConfig  # noqa: E402
from saml2.metadata import entity_descriptor  # noqa: E402
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID  # noqa: E402
from saml2.server import Server  # noqa: E402
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256  # noqa: E402

AWS_AUDIENCE = "urn:amazon:webservices"
AWS_RECIPIENT = "https://signin.aws.amazon.com/saml"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"


def xmlsec1() -> str:
    path = shutil.which("xmlsec1")
    if path is None:
        raise RuntimeError("xmlsec1 is not installed (apt-get install -y xmlsec1)")
    return path


class Idp:
    """One identity provider with its own key pair, in folder `folder`."""

    def __init__(self, folder: Path, entity_id: str = "http://idp.example.test/saml"):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.entity_id = entity_id
        self.key = folder / "idp.key"
        self.cert = folder / "idp.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", "/CN=warden-e2e-idp", "-keyout", str(self.key), "-out", str(self.cert)],
            check=True,
            capture_output=True,
        )
        self.service_providers = {}
        self._server = None

    def _sp_metadata(self) -> Path:
        """Metadata of the service providers responses have been made for (pysaml2 looks
        the audience up in it)."""
        entities = "".join(
            f'<md:EntityDescriptor entityID="{audience}"><md:SPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{recipient}" index="1"/>'
            "</md:SPSSODescriptor></md:EntityDescriptor>"
            for audience, recipient in self.service_providers.items()
        )
        path = self.folder / "sp-metadata.xml"
        path.write_text(
            '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
            f"{entities}</md:EntitiesDescriptor>"
        )
        return path

    def _idp(self, audience: str, recipient: str) -> Server:
        if self.service_providers.get(audience) != recipient or self._server is None:
            self.service_providers[audience] = recipient
            config = IdPConfig()
            config.load(
                {
                    "entityid": self.entity_id,
                    "service": {
                        "idp": {
                            "name": "Warden end-to-end IdP",
                            "endpoints": {
                                "single_sign_on_service": [(f"{self.entity_id}/sso", BINDING_HTTP_REDIRECT)]
                            },
                            "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}},
                            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        }
                    },
                    "key_file": str(self.key),
                    "cert_file": str(self.cert),
                    "xmlsec_binary": xmlsec1(),
                    "metadata": {"local": [str(self._sp_metadata())]},
                }
            )
            self._server = Server(config=config)
        return self._server

    def metadata(self) -> str:
        return str(entity_descriptor(self._idp(AWS_AUDIENCE, AWS_RECIPIENT).config))

    def response(
        self,
        roles,
        session_name="alice@example.com",
        subject="alice-0001",
        attributes=None,
        audience=AWS_AUDIENCE,
        recipient=AWS_RECIPIENT,
        sign_response=True,
        sign_assertion=True,
        sha1=False,
    ) -> str:
        """A signed response whose Role attribute holds `roles` (each "role-arn,provider-arn"
        or the other way round), base64-encoded."""
        identity = {f"{ATTRIBUTES}Role": list(roles)}
        if session_name is not None:
            identity[f"{ATTRIBUTES}RoleSessionName"] = [session_name]
        for name, value in (attributes or {}).items():
            identity[f"{ATTRIBUTES}{name}"] = [value]
        server = self._idp(audience, recipient)
        algorithms = (
            {"sign_alg": SIG_RSA_SHA1, "digest_alg": DIGEST_SHA1}
            if sha1
            else {"sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}
        )
        response = server.create_authn_response(
            identity,
            in_response_to=None,
            destination=recipient,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
            authn={"class_ref": INTERNETPROTOCOLPASSWORD},
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            **algorithms,
        )
        return base64.b64encode(str(response).encode()).decode()
