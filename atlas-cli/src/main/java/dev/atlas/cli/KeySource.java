package dev.atlas.cli;

import dev.atlas.credential.CredentialKeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

/**
 * Credential keys from a file or an environment variable, never from an argument (which {@code ps}
 * and shell histories show). The text holds {@code <id>=<base64 AES-256 key>} entries separated by
 * newlines, commas or spaces, the primary first; lines starting with {@code #} are comments.
 * Messages name the entry by its position (and a well-formed id), never quoting the text: a key
 * pasted without its id would otherwise be printed.
 */
final class KeySource {
    private KeySource() {
    }

    /** The keys in {@code file}; messages name the option, then the file ("--credential-keys-file: /etc/keys: entry 2 ..."). */
    static CredentialKeys fromFile(Path file) {
        String where = "--credential-keys-file: " + file;
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            if (holdsKeys(file.toString())) {
                // The slip "$(cat keys)": the name given is the keys themselves, never quoted (as --password-env's text).
                throw new Database.BadOption("--credential-keys-file: names no file that can be read, and holds keys itself (give the"
                        + " file's name, not its content)");
            }
            throw new Database.BadOption(where + ": cannot read it: " + PortabilityCommands.why(e));
        }
        return parse(where, text);
    }

    /** The keys in environment variable {@code variable} of {@code environment} (the command's, {@link AtlasCli#environment}). */
    static CredentialKeys fromEnvironment(String variable, java.util.function.UnaryOperator<String> environment) {
        String where = "--credential-keys-env: " + variable;
        String text = environment.apply(variable);
        if (text == null) {
            if (variable.indexOf('=') >= 0) {
                // No variable's name holds '=', which every key entry does: the slip "$ATLAS_KEYS" gave the keys, never quoted.
                throw new Database.BadOption("--credential-keys-env: names an environment variable that is not set (give the"
                        + " variable's name, e.g. --credential-keys-env ATLAS_KEYS, not its value)");
            }
            throw new Database.BadOption(where + ": the variable is not set");
        }
        return parse(where, text);
    }

    /** Whether {@code text} reads as key entries ({@link #parse} takes it). */
    private static boolean holdsKeys(String text) {
        try {
            parse("", text);
            return true;
        } catch (Database.BadOption notKeys) {
            return false;
        }
    }

    static CredentialKeys parse(String where, String text) {
        CredentialKeys keys = null;
        Set<String> ids = new HashSet<>();
        int n = 0;
        // A byte order mark, as some editors write one, is not part of the first entry.
        for (String line : (text.startsWith("\uFEFF") ? text.substring(1) : text).split("\r?\n|\r")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            for (String entry : line.split("[,\\s]+")) {
                if (entry.isEmpty()) {
                    continue;
                }
                n++;
                int eq = entry.indexOf('=');
                if (eq < 0) {
                    throw new Database.BadOption(where + ": entry " + n + " is not <id>=<base64 AES-256 key>");
                }
                String id = entry.substring(0, eq);
                String encoded = entry.substring(eq + 1);
                if (encoded.isEmpty() || encoded.chars().allMatch(c -> c == '=')) {
                    throw new Database.BadOption(where + ": entry " + n + " has no key after its id: write <id>=<base64 AES-256 key>");
                }
                if (!CredentialKeys.KEY_ID.matcher(id).matches()) {
                    throw new Database.BadOption(where + ": entry " + n + " has an invalid key id: use 1 to 64 letters, digits, '.', '_' or '-'");
                }
                if (!ids.add(id)) {
                    throw new Database.BadOption(where + ": entry " + n + " repeats key id " + id);
                }
                byte[] key;
                try {
                    key = Base64.getDecoder().decode(encoded);
                } catch (IllegalArgumentException e) {
                    throw new Database.BadOption(where + ": entry " + n + " (key " + id + ") is not valid Base64");
                }
                if (key.length != CredentialKeys.KEY_BYTES) {
                    throw new Database.BadOption(where + ": entry " + n + " (key " + id + ") must be " + CredentialKeys.KEY_BYTES
                            + " bytes (AES-256), was " + key.length + " bytes");
                }
                try {
                    keys = keys == null ? CredentialKeys.of(id, key) : keys.with(id, key);
                } catch (dev.atlas.ConfigurationException e) {
                    // A weak primary: the message says why, never the key's bytes.
                    throw new Database.BadOption(where + ": entry " + n + " (key " + id + "): " + e.getMessage());
                } finally {
                    java.util.Arrays.fill(key, (byte) 0);
                }
            }
        }
        if (keys == null) {
            throw new Database.BadOption(where + ": holds no key: write <id>=<base64 AES-256 key> entries, the primary first");
        }
        return keys;
    }
}
