package dev.atlas.asset;

import dev.atlas.InvalidInputException;
import dev.atlas.StorageException;
import dev.atlas.internal.Check;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Blobs as files under one directory, created on first write. {@link #put} streams into a
 * temporary file in {@code <root>/.tmp}, below the directory of its key there (so each tenant's
 * uploads have their own), forces it to disk, then moves it into place atomically and forces the
 * directory holding the new name (and any it created), so a crash never leaves a half-written blob
 * under a real key, and a put that returned survives a power loss as the row naming it does. A put never replaces: of puts racing to one
 * key exactly one lands and the others fail with {@link FileAlreadyExistsException}.
 *
 * <p>New keys are portable: a put to a key with a segment naming a Windows device ({@code CON},
 * {@code NUL.txt}, {@code com1} …, any case) or ending in {@code .} is an
 * {@link InvalidInputException} on {@code key} on every OS, so the directory opens the same files
 * wherever it is copied. Open and delete still take such keys: a blob stored under one before
 * (or placed there by the application, on an OS where it is a plain name) stays readable.
 *
 * <p>Keys are not always Atlas's own ({@link AssetStore#register} takes the caller's), so a key
 * whose path leads through a symbolic link out of the directory (or into a dangling link) is
 * refused; links that stay inside it are followed. The check sees the links in place when a call
 * starts: it keeps keys away from a link, not from someone swapping directories during the call.
 */
public final class LocalDirectoryBlobStore implements BlobStore {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}");
    private static final String TMP = ".tmp";

    private final Path root;

    /**
     * Creates the value.
     *
     * @param root the directory that holds the blobs
     */
    public LocalDirectoryBlobStore(Path root) {
        this.root = Check.notNull("root", root).toAbsolutePath().normalize();
    }

    /**
     * The directory that holds the blobs.
     *
     * @return the directory that holds the blobs
     */
    public Path root() {
        return root;
    }

    /**
     * A segment Windows opens as something else: a device (CON, NUL.txt …, any case, any
     * extension) or, with its trailing dot dropped, another file. Refused on every OS, so a blob
     * directory can be copied to any OS and open the same files.
     */
    private static final Pattern NOT_PORTABLE = Pattern.compile("(?i)(?:^|/)(?:(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\\.[^/]*)?|[^/]*\\.)(?:/|$)");

    static String checkKey(String key) {
        Check.notNull("key", key);
        if (!KEY.matcher(key).matches() || key.startsWith(TMP)) {
            throw new InvalidInputException("key", Check.quoted(key) + " is not a blob key: use / separated segments of letters, digits, . _ -");
        }
        return key;
    }

    /**
     * {@link #checkKey}, and portable: for keys about to be written only, so a blob an earlier
     * version stored under such a key still opens and deletes.
     */
    static String checkNewKey(String key) {
        checkKey(key);
        if (NOT_PORTABLE.matcher(key).find()) {
            throw new InvalidInputException("key", "'" + key + "' is not a portable blob key: a segment names a Windows device"
                    + " (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension) or ends in '.'");
        }
        return key;
    }

    /** The file of {@code key}, refused when the part of its path that exists leads out of the root. */
    private Path file(String key) throws IOException {
        Path file = root.resolve(checkKey(key));
        if (!insideRoot(file)) {
            throw new InvalidInputException("key", "'" + key + "' leads through a symbolic link out of the blob directory");
        }
        return file;
    }

    /**
     * The directory of the temporary files of {@link #put}s to keys below {@code keyPrefix} ({@code ""}
     * or whole segments ending in {@code /}), which {@link #removeAbandonedTemporaryFiles} empties.
     */
    private Path tmpDir(String keyPrefix) throws IOException {
        Path tmp = root.resolve(TMP);
        if (!keyPrefix.isEmpty()) {
            String directory = keyPrefix.substring(0, keyPrefix.length() - 1);
            if (!keyPrefix.endsWith("/") || !KEY.matcher(directory).matches() || directory.startsWith(TMP)) {
                throw new InvalidInputException("keyPrefix", Check.quoted(keyPrefix) + " is not a key directory: whole segments ending in /");
            }
            tmp = tmp.resolve(directory);
        }
        if (!insideRoot(tmp)) {
            throw new FileSystemException(tmp.toString(), null, "a symbolic link out of the blob directory: not this store's to write or clean");
        }
        return tmp;
    }

    /** Whether the deepest existing part of {@code path} (under the root) resolves, links followed, to a place under the root. */
    private boolean insideRoot(Path path) throws IOException {
        Path existing = path;
        while (!existing.equals(root) && Files.notExists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing.equals(root)) {
            return true; // nothing below the root exists yet; the root itself may be a link
        }
        try {
            return existing.toRealPath().startsWith(root.toRealPath());
        } catch (NoSuchFileException dangling) {
            return false;
        }
    }

    @Override
    public StoredBlob put(String key, InputStream content) throws IOException {
        Path target = file(checkNewKey(key));
        Check.notNull("content", content);
        int slash = key.lastIndexOf('/');
        Path tmpDir = tmpDir(slash < 0 ? "" : key.substring(0, slash + 1));
        Files.createDirectories(tmpDir);
        Path created = firstMissing(target.getParent());
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(tmpDir, "put-", ".part");
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new StorageException("this JVM has no SHA-256, which every Java SE runtime must provide", null, false, e);
        }
        long size;
        try {
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp, StandardOpenOption.WRITE), sha)) {
                size = content.transferTo(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            publish(tmp, target);
            // The row naming the key commits after this returns: the new name (and any directory
            // made for it) must survive a power loss as the bytes do, or the row outlives its blob.
            Path last = created == null ? target.getParent() : created.getParent();
            for (Path dir = target.getParent(); dir != null; dir = dir.getParent()) {
                syncDirectory(dir);
                if (dir.equals(last)) {
                    break;
                }
            }
        } catch (Throwable t) {
            // An Error (a thread stopped mid-upload, out of memory) too: only a crash leaves the
            // file, and removeAbandonedTemporaryFiles takes care of that.
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException cleanup) {
                t.addSuppressed(cleanup);
            }
            throw t;
        }
        return new StoredBlob(key, size, HexFormat.of().formatHex(sha.digest()));
    }

    /** The highest directory of {@code dir}'s path (itself included) that does not exist yet, or null. */
    private static Path firstMissing(Path dir) {
        Path missing = null;
        for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) {
            missing = d;
        }
        return missing;
    }

    /** Forces a directory's entries to disk. Some platforms (Windows) cannot open a directory for this: there it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException unsupported) {
            // Not a failure of the put: the bytes are in place, only their name's durability is the platform's.
        }
    }

    /**
     * Gives {@code tmp} the name {@code target} unless that exists. A hard link is created only
     * when the name is free, in one step, so of two puts racing to one key exactly one lands
     * (a rename would silently replace the first's bytes). Where the file system has no hard
     * links, a check then an atomic rename, which two racing puts can still both pass.
     */
    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
            renameIfAbsent(tmp, target); // FAT, some network shares
            return;
        }
        try {
            Files.delete(tmp);
        } catch (IOException leftover) {
            // The blob is in place: the temporary name is only a second link to it, which
            // removeAbandonedTemporaryFiles removes later. The put succeeded.
        }
    }

    private static void renameIfAbsent(Path tmp, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        Path file = file(key);
        // A directory opens on some platforms and fails only on read: it is no blob.
        if (Files.isDirectory(file)) {
            throw new NoSuchFileException(key, null, "a directory, not a blob");
        }
        return Files.newInputStream(file);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return Files.deleteIfExists(file(key));
    }

    @Override
    public List<BlobInfo> list(String prefix) throws IOException {
        Check.notNull("prefix", prefix);
        List<BlobInfo> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String key = root.relativize(p).toString().replace('\\', '/');
                if (key.startsWith(TMP + "/") || key.equals(TMP) || !key.startsWith(prefix)) {
                    continue;
                }
                try {
                    // A link is no blob: its target may be outside the root.
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile()) {
                        out.add(new BlobInfo(key, a.size(), a.lastModifiedTime().toInstant()));
                    }
                } catch (NoSuchFileException gone) {
                    // deleted while listing: nothing to report
                }
            }
        }
        return out;
    }

    /** Every temporary file, any key's (files of earlier versions, directly in {@code .tmp}, included). */
    @Override
    public int removeAbandonedTemporaryFiles(Instant olderThan) throws IOException {
        return removeAbandonedTemporaryFiles("", olderThan);
    }

    /** Only the temporary files of puts to keys below {@code keyPrefix}. */
    @Override
    public int removeAbandonedTemporaryFiles(String keyPrefix, Instant olderThan) throws IOException {
        Check.notNull("keyPrefix", keyPrefix);
        Check.notNull("olderThan", olderThan);
        Path tmpDir = tmpDir(keyPrefix);
        if (!Files.isDirectory(tmpDir)) {
            return 0;
        }
        int removed = 0;
        // Links below it are not followed: what they point at is not this store's to delete.
        try (Stream<Path> files = Files.walk(tmpDir.toRealPath())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile() && a.lastModifiedTime().toInstant().isBefore(olderThan) && Files.deleteIfExists(p)) {
                        removed++;
                    }
                } catch (NoSuchFileException gone) {
                    // its put finished or failed meanwhile
                }
            }
        }
        return removed;
    }

    @Override
    public String toString() {
        return "LocalDirectoryBlobStore[" + root + "]";
    }
}
