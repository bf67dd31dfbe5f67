package dev.atlas.internal;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {

    @Test
    void masksOnlyTheParameterValueNotTheTextAfterTheUrl() {
        assertThat(Redaction.url("could not open jdbc:postgresql://db/app?user=a&password=hunter2: Failed to connect"))
                .isEqualTo("could not open jdbc:postgresql://db/app?user=a&password=****: Failed to connect");
        assertThat(Redaction.url("url jdbc:postgresql://db/app?password=hunter2, retrying"))
                .isEqualTo("url jdbc:postgresql://db/app?password=****, retrying");
        assertThat(Redaction.url("url 'jdbc:postgresql://db/app?password=hunter2' refused"))
                .isEqualTo("url 'jdbc:postgresql://db/app?password=****' refused");
        assertThat(Redaction.url("(jdbc:postgresql://db/app?password=hunter2)"))
                .isEqualTo("(jdbc:postgresql://db/app?password=****)");
    }

    @Test
    void aRawAtSignInThePasswordBelongsToThePasswordNotToTheHost() {
        String url = "jdbc:postgresql://bob:hun@ter2@127.0.0.1:1/db";
        assertThat(Redaction.userInfo(url)).isEqualTo(new Redaction.UserInfo("bob", "hun@ter2", "jdbc:postgresql://127.0.0.1:1/db"));
        assertThat(Redaction.url(url + ": refused")).isEqualTo("jdbc:postgresql://bob:****@127.0.0.1:1/db: refused");
        assertThat(Redaction.secretsOf(url)).containsExactly("hun@ter2");
    }

    @Test
    void aRawHashSlashOrQuestionMarkInThePasswordBelongsToThePasswordUpToTheLastAtSign() {
        // Unencoded, they would end the user-info: the password was shown whole, or its end after the mask.
        assertThat(Redaction.url("jdbc:postgresql://bob:hun#ter2@host/db")).isEqualTo("jdbc:postgresql://bob:****@host/db");
        assertThat(Redaction.url("jdbc:postgresql://bob:a/b@host/db")).isEqualTo("jdbc:postgresql://bob:****@host/db");
        assertThat(Redaction.url("jdbc:postgresql://bob:p?x@host/db")).isEqualTo("jdbc:postgresql://bob:****@host/db");
        assertThat(Redaction.url("jdbc:postgresql://bob:h?u/n#t@e@r2@127.0.0.1:1/db?sslmode=require"))
                .isEqualTo("jdbc:postgresql://bob:****@127.0.0.1:1/db?sslmode=require");
        assertThat(Redaction.url("Unable to parse URL jdbc:postgresql://bob:hun?ter2@127.0.0.1:1/atlas: refused (url jdbc:postgresql://bob:hun?ter2@127.0.0.1:1/atlas)"))
                .isEqualTo("Unable to parse URL jdbc:postgresql://bob:****@127.0.0.1:1/atlas: refused (url jdbc:postgresql://bob:****@127.0.0.1:1/atlas)");
        assertThat(Redaction.secretsOf("jdbc:postgresql://bob:hun#ter2@host/db?password=x")).containsExactly("hun#ter2", "x");
        assertThat(Redaction.secretsOf("jdbc:postgresql://bob:a/b%21@host/db")).containsExactly("a/b%21", "a/b!");
        assertThat(Redaction.text("FATAL: bad password a/b!", Redaction.secretsOf("jdbc:postgresql://bob:a/b%21@host/db")))
                .isEqualTo("FATAL: bad password ****");
        // Split off as a clean user-info is, so that the driver never sees (nor logs) the URL with it.
        assertThat(Redaction.userInfo("jdbc:postgresql://bob:hun#ter2@127.0.0.1:1/db?sslmode=require"))
                .isEqualTo(new Redaction.UserInfo("bob", "hun#ter2", "jdbc:postgresql://127.0.0.1:1/db?sslmode=require"));
        assertThat(Redaction.userInfo("jdbc:postgresql://bob:a/b%21@host/db")).isEqualTo(new Redaction.UserInfo("bob", "a/b!", "jdbc:postgresql://host/db"));
        assertThat(Redaction.userInfo("jdbc:postgresql://host:5432/db?user=app@server")).isNull();
        assertThat(Redaction.userInfo("jdbc:postgresql://h1:5432,h2:5433/db?user=app@server")).isNull();
        assertThat(Redaction.url("jdbc:postgresql://h1:5432,h2:5433/db?user=app@server")).isEqualTo("jdbc:postgresql://h1:5432,h2:5433/db?user=app@server");
        assertThat(Redaction.userInfo("jdbc:postgresql://bob:pw@host/db?user=app@server"))
                .isEqualTo(new Redaction.UserInfo("bob", "pw", "jdbc:postgresql://host/db?user=app@server"));
        // A port and a path before the '@': a user named in a parameter, no password; and a clean user-info ends at its own '@'.
        assertThat(Redaction.url("jdbc:postgresql://host:5432/db?user=app@server")).isEqualTo("jdbc:postgresql://host:5432/db?user=app@server");
        assertThat(Redaction.secretsOf("jdbc:postgresql://host:5432/db?user=app@server")).isEmpty();
        assertThat(Redaction.url("jdbc:postgresql://bob:pw@host/db?user=app@server")).isEqualTo("jdbc:postgresql://bob:****@host/db?user=app@server");
        assertThat(Redaction.url("jdbc:postgresql://[::1]:5432/db?user=app@server")).isEqualTo("jdbc:postgresql://[::1]:5432/db?user=app@server");
    }

    @Test
    void aPasswordParameterIsSplitOffAsThePostgreSqlDriverReadsIt() {
        // Form-decoded as pgjdbc decodes a parameter ('+' a space), the last one winning, the other parameters kept in order.
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app?user=a&password=p%26w+x&sslmode=require&password=b%2B1"))
                .isEqualTo(new Redaction.PasswordParameter("b+1", "jdbc:postgresql://db/app?user=a&sslmode=require"));
        assertThat(Redaction.passwordParameter("jdbc:postgresql:app?password=s3cret"))
                .isEqualTo(new Redaction.PasswordParameter("s3cret", "jdbc:postgresql:app"));
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app?password"))
                .isEqualTo(new Redaction.PasswordParameter("", "jdbc:postgresql://db/app"));
        // Another case is a secret pgjdbc does not read as the password: taken out, not used.
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app?PASSWORD=x&user=a"))
                .isEqualTo(new Redaction.PasswordParameter(null, "jdbc:postgresql://db/app?user=a"));
        // Left to the driver: no query, no password parameter (sslpassword is another), a value pgjdbc cannot decode.
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app")).isNull();
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app?sslpassword=x&user=a")).isNull();
        assertThat(Redaction.passwordParameter("jdbc:postgresql://db/app?password=%zz")).isNull();
        assertThat(Redaction.passwordParameter(null)).isNull();
    }

    @Test
    void theOtherSecretParametersAreSplitOffAsThePostgreSqlDriverReadsThem() {
        // Every parameter url() masks but password (passwordParameter's): by name as written, form-decoded, the last one winning.
        assertThat(Redaction.secretParameters("jdbc:postgresql://db/app?user=a&sslpassword=k%26y+1&sslmode=verify-full"
                + "&sslkey=/k.pk8&password=p&accessToken=t&sslpassword=k2"))
                .isEqualTo(new Redaction.SecretParameters(new java.util.LinkedHashMap<>(java.util.Map.of("sslpassword", "k2", "accessToken", "t")),
                        "jdbc:postgresql://db/app?user=a&sslmode=verify-full&sslkey=/k.pk8&password=p"));
        assertThat(Redaction.secretParameters("jdbc:postgresql://db/app?SSLPassword")).isEqualTo(
                new Redaction.SecretParameters(java.util.Map.of("SSLPassword", ""), "jdbc:postgresql://db/app"));
        assertThat(Redaction.secretParameters("jdbc:postgresql://db/app?password=x&sslkey=/k.pk8")).isNull();
        assertThat(Redaction.secretParameters("jdbc:postgresql://db/app?sslpassword=%zz")).isNull();
        assertThat(Redaction.secretParameters(null)).isNull();
    }

    @Test
    void masksTheWholeValueInsideAUrl() {
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=a:b.&sslmode=require"))
                .isEqualTo("jdbc:postgresql://db/app?password=****&sslmode=require");
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=a:b."))
                .isEqualTo("jdbc:postgresql://db/app?password=****");
        assertThat(Redaction.url("jdbc:postgresql://bob:s3cret@db/app: Failed"))
                .isEqualTo("jdbc:postgresql://bob:****@db/app: Failed");
        assertThat(Redaction.secretsOf("jdbc:postgresql://db/app?password=hunter2: Failed")).isEqualTo(List.of("hunter2"));
    }

    @Test
    void masksAPasswordsOwnClosingBracketUnlessTheTextAroundOpenedIt() {
        assertThat(Redaction.url("jdbc:postgresql://db/app?user=a&password=hunter2)"))
                .isEqualTo("jdbc:postgresql://db/app?user=a&password=****");
        assertThat(Redaction.url("could not open jdbc:sqlserver://db;user=sa;password=p4ss): Failed to connect"))
                .isEqualTo("could not open jdbc:sqlserver://db;user=sa;password=****: Failed to connect");
        assertThat(Redaction.url("url jdbc:postgresql://db/app?password=pa(ss) refused"))
                .isEqualTo("url jdbc:postgresql://db/app?password=**** refused");
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=x]'"))
                .isEqualTo("jdbc:postgresql://db/app?password=****");
        assertThat(Redaction.secretsOf("jdbc:postgresql://db/app?password=hunter2)")).isEqualTo(List.of("hunter2)"));
        // The text's own brackets and quotes stay, also after a bracket inside the password.
        assertThat(Redaction.url("(see jdbc:postgresql://db/app?password=hun)ter2)"))
                .isEqualTo("(see jdbc:postgresql://db/app?password=****)");
        assertThat(Redaction.url("[url 'jdbc:postgresql://db/app?password=x)']"))
                .isEqualTo("[url 'jdbc:postgresql://db/app?password=****']");
    }
    @Test
    void masksSecretParametersByExactNameAndLeavesEveryOtherParameterReadable() {
        // A path to a key file, or a parameter whose name merely ends in "key", is not a secret.
        assertThat(Redaction.url("jdbc:postgresql://db.example.com:5432/orders?sslkey=/etc/pg/client.pk8&sslpassword=kp&sslcert=/etc/pg/c.crt"))
                .isEqualTo("jdbc:postgresql://db.example.com:5432/orders?sslkey=/etc/pg/client.pk8&sslpassword=****&sslcert=/etc/pg/c.crt");
        assertThat(Redaction.url("jdbc:postgresql://db/orders?ApplicationName=monkey&turnkey=1&keystore=/k&sslpasswordcallback=com.x.Cb"))
                .isEqualTo("jdbc:postgresql://db/orders?ApplicationName=monkey&turnkey=1&keystore=/k&sslpasswordcallback=com.x.Cb");
        assertThat(Redaction.url("jdbc:sqlite:/data/app.db?cipher=sqlcipher&key=s3cr3t&hexkey=abcd&foreign_keys=true"))
                .isEqualTo("jdbc:sqlite:/data/app.db?cipher=sqlcipher&key=****&hexkey=****&foreign_keys=true");
        assertThat(Redaction.url("jdbc:x://db/app?Password=a&PWD=b&passwd=c&api_key=d&apiKey=e&client_secret=f&accessToken=g&authToken=h"))
                .isEqualTo("jdbc:x://db/app?Password=****&PWD=****&passwd=****&api_key=****&apiKey=****&client_secret=****"
                        + "&accessToken=****&authToken=****");
        assertThat(Redaction.secretsOf("jdbc:postgresql://db/orders?sslkey=/etc/pg/client.pk8&turnkey=1")).isEmpty();
    }

    @Test
    void aSecretIsAlsoKnownPercentDecodedAsTheDriverReadsIt() {
        assertThat(Redaction.secretsOf("jdbc:postgresql://app:p%3Aw%40rd@db/orders?password=x%26y"))
                .containsExactly("p%3Aw%40rd", "p:w@rd", "x%26y", "x&y");
        assertThat(Redaction.text("FATAL: bad password p:w@rd", Redaction.secretsOf("jdbc:postgresql://app:p%3Aw%40rd@db/orders")))
                .isEqualTo("FATAL: bad password ****");
    }

    @Test
    void pgjdbcsOpaqueFactoryArgumentsAndPercentEncodedNamesAreSecrets() {
        // sslfactoryarg and socketFactoryArg go to a class's constructor as they are: a key store's password, say.
        assertThat(Redaction.url("jdbc:postgresql://h/db?sslfactoryarg=s1&socketFactoryArg=s2&connectExecutorArg=s3&sslkey=/k.pk8"))
                .isEqualTo("jdbc:postgresql://h/db?sslfactoryarg=****&socketFactoryArg=****&connectExecutorArg=****&sslkey=/k.pk8");
        // A name percent-encoded is a name that says so once decoded (pgjdbc does not decode it, so does not use it: still a secret).
        assertThat(Redaction.url("jdbc:postgresql://h/db?pass%77ord=s4&ssl%70assword=s5")).isEqualTo("jdbc:postgresql://h/db?pass%77ord=****&ssl%70assword=****");
        assertThat(Redaction.secretsOf("jdbc:postgresql://h/db?pass%77ord=s4")).containsExactly("s4");
        assertThat(Redaction.secretParameters("jdbc:postgresql://h/db?sslfactoryarg=s1&ApplicationName=a&socketFactoryArg=s%202"))
                .isEqualTo(new Redaction.SecretParameters(java.util.Map.of("sslfactoryarg", "s1", "socketFactoryArg", "s 2"),
                        "jdbc:postgresql://h/db?ApplicationName=a"));
        assertThat(Redaction.passwordParameter("jdbc:postgresql://h/db?pass%77ord=s4&ApplicationName=a"))
                .isEqualTo(new Redaction.PasswordParameter(null, "jdbc:postgresql://h/db?ApplicationName=a"));
        assertThat(Redaction.secretParameters("jdbc:postgresql://h/db?ssl%70assword=s5")).isEqualTo(
                new Redaction.SecretParameters(java.util.Map.of("ssl%70assword", "s5"), "jdbc:postgresql://h/db"));
    }

    @Test
    void aHashInASecretValueIsPartOfIt() {
        // pgjdbc and sqlite-jdbc read no fragment: a '#' in a parameter's value is the value's, as the driver reads it.
        assertThat(Redaction.url("jdbc:postgresql://h/db?sslpassword=ab#cd&ApplicationName=a#b"))
                .isEqualTo("jdbc:postgresql://h/db?sslpassword=****&ApplicationName=a#b");
        assertThat(Redaction.url("jdbc:postgresql://h/db?password=ab#cd")).isEqualTo("jdbc:postgresql://h/db?password=****");
        assertThat(Redaction.secretsOf("jdbc:postgresql://h/db?password=ab#c%64")).containsExactly("ab#c%64", "ab#cd");
        assertThat(Redaction.text("FATAL: bad password ab#cd (url ?password=ab#cd)", Redaction.secretsOf("jdbc:postgresql://h/db?password=ab#cd")))
                .isEqualTo("FATAL: bad password **** (url ?password=****)");
    }
}
