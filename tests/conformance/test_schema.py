"""Attribute schemas through boto3: `create_user_pool(Schema=[…])` answers with
`SchemaAttributes` (standard ones with AWS's defaults, custom ones as `custom:<name>`), sign-up
without a required attribute or with one outside the schema is refused with AWS's error, types
and constraints are enforced, immutable attributes cannot change, AddCustomAttributes adds one,
and a client's WriteAttributes and ReadAttributes limit what it writes and reads."""

import jwt
import pytest

from conftest import unique_email


@pytest.fixture(scope="module")
def pool(stack):
    c = stack.client()
    p = c.create_user_pool(
        PoolName="schema",
        UsernameAttributes=["email"],
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {"Name": "given_name", "AttributeDataType": "String", "Required": True},
            {"Name": "tier", "AttributeDataType": "String", "Mutable": False,
             "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "8"}},
            {"Name": "age", "AttributeDataType": "Number",
             "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"}},
        ],
    )["UserPool"]
    client = c.create_user_pool_client(UserPoolId=p["Id"], ClientName="app",
                                       ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    limited = c.create_user_pool_client(UserPoolId=p["Id"], ClientName="limited",
                                        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                        WriteAttributes=["email", "given_name"],
                                        ReadAttributes=["email", "given_name"])
    return c, p, client["UserPoolClient"]["ClientId"], limited["UserPoolClient"]["ClientId"]


def test_create_user_pool_answers_with_schema_attributes(pool):
    c, p, _, _ = pool
    assert "Schema" not in p, "not a member of the model's UserPoolType"
    for attrs in (p["SchemaAttributes"], c.describe_user_pool(UserPoolId=p["Id"])["UserPool"]["SchemaAttributes"]):
        by_name = {a["Name"]: a for a in attrs}
        assert attrs[0]["Name"] == "sub" and by_name["sub"]["Required"] is True and by_name["sub"]["Mutable"] is False
        assert by_name["email"]["Required"] is True
        assert by_name["custom:tier"] == {
            "Name": "custom:tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": False,
            "Mutable": False, "Required": False,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "8"},
        }
        assert by_name["custom:age"]["NumberAttributeConstraints"] == {"MinValue": "0", "MaxValue": "150"}
        assert by_name["email_verified"]["AttributeDataType"] == "Boolean"


def test_sign_up_needs_the_required_attributes_and_only_schema_ones(pool):
    c, _, client, _ = pool
    email = unique_email("schema")
    with pytest.raises(c.exceptions.InvalidParameterException,
                       match="Attributes did not conform to the schema: given_name: The attribute is required"):
        c.sign_up(ClientId=client, Username=email, Password="Passw0rd!")
    with pytest.raises(c.exceptions.InvalidParameterException,
                       match="custom:shoe: Attribute does not exist in the schema."):
        c.sign_up(ClientId=client, Username=email, Password="Passw0rd!",
                  UserAttributes=[{"Name": "given_name", "Value": "Ann"}, {"Name": "custom:shoe", "Value": "9"}])
    for bad in ({"Name": "custom:tier", "Value": "platinum-plus"}, {"Name": "custom:age", "Value": "200"},
                {"Name": "custom:age", "Value": "old"}):
        with pytest.raises(c.exceptions.InvalidParameterException, match="Attributes did not conform to the schema"):
            c.sign_up(ClientId=client, Username=email, Password="Passw0rd!",
                      UserAttributes=[{"Name": "given_name", "Value": "Ann"}, bad])
    c.sign_up(ClientId=client, Username=email, Password="Passw0rd!",
              UserAttributes=[{"Name": "given_name", "Value": "Ann"}, {"Name": "custom:tier", "Value": "gold"},
                              {"Name": "custom:age", "Value": "40"}])


def test_immutable_attributes_cannot_change_and_custom_ones_can_be_added(pool):
    c, p, _, _ = pool
    email = unique_email("immutable")
    c.admin_create_user(UserPoolId=p["Id"], Username=email, MessageAction="SUPPRESS",
                        UserAttributes=[{"Name": "given_name", "Value": "Bo"}, {"Name": "custom:tier", "Value": "gold"}])
    with pytest.raises(c.exceptions.InvalidParameterException, match="Attribute cannot be updated"):
        c.admin_update_user_attributes(UserPoolId=p["Id"], Username=email,
                                       UserAttributes=[{"Name": "custom:tier", "Value": "silver"}])
    c.admin_update_user_attributes(UserPoolId=p["Id"], Username=email, UserAttributes=[{"Name": "custom:age", "Value": "33"}])
    with pytest.raises(c.exceptions.InvalidParameterException, match="custom:team: Attribute does not exist"):
        c.admin_update_user_attributes(UserPoolId=p["Id"], Username=email, UserAttributes=[{"Name": "custom:team", "Value": "x"}])
    c.add_custom_attributes(UserPoolId=p["Id"], CustomAttributes=[{"Name": "team", "AttributeDataType": "String"}])
    with pytest.raises(c.exceptions.InvalidParameterException, match="custom:team"):
        c.add_custom_attributes(UserPoolId=p["Id"], CustomAttributes=[{"Name": "team", "AttributeDataType": "String"}])
    c.admin_update_user_attributes(UserPoolId=p["Id"], Username=email, UserAttributes=[{"Name": "custom:team", "Value": "blue"}])
    attrs = {a["Name"]: a["Value"] for a in c.admin_get_user(UserPoolId=p["Id"], Username=email)["UserAttributes"]}
    assert (attrs["custom:team"], attrs["custom:age"], attrs["custom:tier"]) == ("blue", "33", "gold")
    names = [a["Name"] for a in c.describe_user_pool(UserPoolId=p["Id"])["UserPool"]["SchemaAttributes"]]
    assert "custom:team" in names
    with pytest.raises(c.exceptions.InvalidParameterException, match="Required custom attributes are not supported"):
        c.add_custom_attributes(UserPoolId=p["Id"], CustomAttributes=[{"Name": "must", "Required": True}])


def test_a_clients_write_and_read_attributes_limit_it(pool):
    c, p, _, limited = pool
    email = unique_email("limited")
    with pytest.raises(c.exceptions.NotAuthorizedException, match="A client attempted to write unauthorized attribute"):
        c.sign_up(ClientId=limited, Username=email, Password="Passw0rd!",
                  UserAttributes=[{"Name": "given_name", "Value": "Cy"}, {"Name": "custom:tier", "Value": "gold"}])
    c.sign_up(ClientId=limited, Username=email, Password="Passw0rd!", UserAttributes=[{"Name": "given_name", "Value": "Cy"}])
    c.admin_update_user_attributes(UserPoolId=p["Id"], Username=email,
                                   UserAttributes=[{"Name": "custom:age", "Value": "21"}, {"Name": "email_verified", "Value": "true"}])
    c.admin_set_user_password(UserPoolId=p["Id"], Username=email, Password="Passw0rd!", Permanent=True)
    tokens = c.initiate_auth(ClientId=limited, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": "Passw0rd!"})["AuthenticationResult"]
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert claims["given_name"] == "Cy" and claims["email"] == email
    assert "custom:age" not in claims and "email_verified" not in claims, "only ReadAttributes"
    seen = {a["Name"] for a in c.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert seen == {"sub", "email", "given_name"}
    with pytest.raises(c.exceptions.NotAuthorizedException, match="unauthorized attribute"):
        c.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "custom:age", "Value": "22"}])
