package dev.atlas.migrations;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The versioned scripts of a migration folder on the class path, found the way Flyway finds
 * them, for the paths that run without Flyway. Anything this class does not fully understand (a
 * dotted or zero-padded version, a repeatable or callback script, a folder in several class path
 * entries, an unreadable class path) makes it answer {@code null}: the caller then leaves the
 * decision to Flyway.
 */
final class Bundled {
    private static final Pattern VERSIONED = Pattern.compile("V([1-9]\\d{0,17})__([^/]*)\\.sql");

    /** One {@code V<n>__<description>.sql} file. */
    record Script(long version, String name, String description) {}

    private Bundled() {}

    /** The scripts in a class path folder ({@code dev/atlas/migrations/sqlite}), by version; {@code null} when unsure. */
    static List<Script> scripts(ClassLoader loader, String folder) {
        try {
            Enumeration<URL> urls = loader.getResources(folder);
            if (!urls.hasMoreElements()) {
                return null;
            }
            URL url = urls.nextElement();
            if (urls.hasMoreElements()) {
                return null;
            }
            List<String> names = names(url, folder);
            if (names == null) {
                return null;
            }
            List<Script> scripts = new ArrayList<>();
            for (String n : names) {
                if (!n.endsWith(".sql")) {
                    continue;
                }
                Matcher m = VERSIONED.matcher(n);
                if (!m.matches()) {
                    return null;
                }
                // Flyway's description: the part after "__", underscores as spaces.
                scripts.add(new Script(Long.parseLong(m.group(1)), n, m.group(2).replace('_', ' ')));
            }
            scripts.sort(Comparator.comparingLong(Script::version));
            for (int i = 1; i < scripts.size(); i++) {
                if (scripts.get(i).version() == scripts.get(i - 1).version()) {
                    return null;
                }
            }
            return scripts.isEmpty() ? null : List.copyOf(scripts);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A script's text as Flyway reads it (UTF-8, the default encoding Atlas keeps). */
    static String read(ClassLoader loader, String folder, Script script) throws IOException {
        try (InputStream in = loader.getResourceAsStream(folder + "/" + script.name())) {
            if (in == null) {
                throw new IOException("missing on the class path: " + folder + "/" + script.name());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> names(URL url, String folder) throws IOException {
        List<String> names = new ArrayList<>();
        if ("file".equals(url.getProtocol())) {
            File dir = new File(URLDecoder.decode(url.getPath(), StandardCharsets.UTF_8));
            File[] files = dir.listFiles();
            if (files == null) {
                return null;
            }
            for (File f : files) {
                if (f.isDirectory()) {
                    // Flyway scans sub-folders too; a layout this class does not read is Flyway's.
                    return null;
                }
                names.add(f.getName());
            }
            return names;
        }
        URLConnection connection = url.openConnection();
        if (!(connection instanceof JarURLConnection jar)) {
            return null;
        }
        connection.setUseCaches(false);
        try (JarFile file = jar.getJarFile()) {
            String dir = folder.endsWith("/") ? folder : folder + "/";
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                JarEntry e = entries.nextElement();
                String name = e.getName();
                if (!name.startsWith(dir) || name.length() == dir.length()) {
                    continue;
                }
                if (name.indexOf('/', dir.length()) >= 0) {
                    return null;
                }
                names.add(name.substring(dir.length()));
            }
        }
        return names;
    }
}
