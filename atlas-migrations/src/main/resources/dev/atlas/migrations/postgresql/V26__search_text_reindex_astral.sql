-- Atlas V26: re-index the rows whose content holds a character outside the Basic Multilingual
-- Plane (emoji and other symbols, U+10000 to U+10FFFF). Atlas's tokeniser took a code point its
-- JVM's Unicode tables did not know for a separator: on Java 17 (Unicode 13) the emoji of
-- Unicode 14 and later (such as U+1F979, U+1FAE0) were left out of search_text, and a search for
-- them found nothing. Such a code point is now a word of its own, as an emoji is; and a flag (two
-- regional indicators, U+1F1E6 to U+1F1FF) is now one word, where each indicator was one, so the
-- flags of Belgium and Russia side by side no longer matched Eritrea's across them. Clearing the
-- column (the GIN indexes of V23 follow) makes Atlas index these rows again, in Java, when it
-- opens after migrating and before a tenant's next search, as for rows written before V8.
-- The condition is wider than the rows that changed (every row with such a character), never narrower;
-- an E string, so the regular expression reads the same whatever standard_conforming_strings is.
UPDATE ${prefix}messages SET search_text = NULL
WHERE search_text IS NOT NULL AND content ~ E'[\\U00010000-\\U0010FFFF]';

UPDATE ${prefix}memories SET search_text = NULL
WHERE search_text IS NOT NULL AND content ~ E'[\\U00010000-\\U0010FFFF]';
