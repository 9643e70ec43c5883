package io.mcrelay.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators of plain values, shared through relay's test-jar by every module's properties.
 *
 * <p>QuickTheories draws numbers uniformly, so on its own it almost never draws 0, -1 or a bound of the range; the
 * number generators here mix those edge values and small magnitudes into the uniform draws, because codecs and
 * parsers break there. Sizes of strings, arrays, lists and sets come from the same mix, so empty and full ones
 * occur. Every generator draws only from the randomness source QuickTheories passes in, so a seed reproduces the
 * values and QuickTheories can shrink them: numbers toward the value nearest zero, choices toward the first
 * alternative, sizes toward the smallest.
 */
public final class Generators {
    /** Small magnitudes: within this distance of the shrink point. */
    private static final long SMALL_SPAN = 1_000;

    private Generators() {
    }

    /** Any {@code int}. */
    public static Gen<Integer> ints() {
        return ints(Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** An {@code int} in {@code [min, max]}; bounds, zero and small magnitudes are common. */
    public static Gen<Integer> ints(final int min, final int max) {
        return longs(min, max).map(Long::intValue);
    }

    /** Any {@code long}. */
    public static Gen<Long> longs() {
        return longs(Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * A {@code long} in {@code [min, max]}; bounds, zero and small magnitudes are common. Every value takes the same
     * two draws (a mode, then a value in the range shrinking toward the point nearest zero), so that changing one
     * value while shrinking leaves the draws of the values after it where they were.
     */
    public static Gen<Long> longs(final long min, final long max) {
        if (min > max) {
            throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
        }
        final long target = Math.clamp(0, min, max);
        // The target first, so that a value shrinking toward the target picks it. No difference from the target
        // below overflows: a range that holds zero has target 0, and one on one side of zero has its target at the
        // end nearest zero.
        final List<Long> edges = List.copyOf(new LinkedHashSet<>(List.of(target, target < max ? target + 1 : target,
            target > min ? target - 1 : target, min, max, min < max ? min + 1 : min, min < max ? max - 1 : max)));
        final Gen<Integer> modes = Generate.range(0, 9, 0);
        final Gen<Long> values = Generate.longRange(min, max, target);
        return in -> {
            final int mode = modes.generate(in);
            final long value = values.generate(in);
            if (mode < 6) {
                return value; // as drawn: six in ten
            }
            if (mode < 9) {
                return target + (value - target) % (SMALL_SPAN + 1); // near the target: three in ten
            }
            return edges.get((int) Math.floorMod(value - target, (long) edges.size())); // an edge: one in ten
        };
    }

    /** Either boolean; shrinks toward {@code false}. */
    public static Gen<Boolean> booleans() {
        return Generate.booleans();
    }

    /** Any byte. */
    public static Gen<Byte> bytes() {
        return ints(Byte.MIN_VALUE, Byte.MAX_VALUE).map(Integer::byteValue);
    }

    /** Byte arrays of {@code 0..maxLength} bytes, shown as their contents. */
    public static Gen<byte[]> byteArrays(final int maxLength) {
        return Generate.byteArrays(ints(0, maxLength), bytes());
    }

    /**
     * Text of {@code minLength..maxLength} UTF-16 chars drawn from all of Unicode except unpaired surrogates: mostly
     * printable ASCII, with C0 and C1 controls, the rest of the basic plane and supplementary characters mixed in.
     */
    public static Gen<String> strings(final int minLength, final int maxLength) {
        return strings(codePoints(true), minLength, maxLength);
    }

    /** As {@link #strings(int, int)} without any control character ({@link Character#isISOControl}). */
    public static Gen<String> stringsWithoutControls(final int minLength, final int maxLength) {
        return strings(codePoints(false), minLength, maxLength);
    }

    /** Text of {@code minLength..maxLength} chars, each one of {@code alphabet}'s. */
    public static Gen<String> strings(final String alphabet, final int minLength, final int maxLength) {
        return strings(Generate.pick(alphabet.chars().boxed().toList()), minLength, maxLength);
    }

    /** One of {@code values}; shrinks toward the first. */
    @SafeVarargs
    public static <T> Gen<T> pick(final T... values) {
        return Generate.pick(List.of(values));
    }

    /** One of {@code values}; shrinks toward the first. */
    public static <T> Gen<T> pick(final List<T> values) {
        return Generate.pick(List.copyOf(values));
    }

    /** A value of one of {@code gens}, each chosen as often; shrinks toward the first. */
    @SafeVarargs
    public static <T> Gen<T> oneOf(final Gen<T>... gens) {
        return Generate.frequency(Arrays.stream(gens).map(gen -> Pair.of(1, gen)).toList());
    }

    /** A value of one of the generators, chosen in proportion to its weight; shrinks toward the first. */
    @SafeVarargs
    public static <T> Gen<T> weighted(final Pair<Integer, Gen<T>>... weightedGens) {
        return Generate.frequency(List.of(weightedGens));
    }

    /** {@code null} in about {@code percentNull} percent of the draws, else a value of {@code gen}; shrinks to null. */
    public static <T> Gen<T> orNull(final Gen<T> gen, final int percentNull) {
        final Gen<Integer> percent = Generate.range(0, 99, 0);
        return in -> percent.generate(in) < percentNull ? null : gen.generate(in);
    }

    /** Lists of {@code minSize..sizeMax} values of {@code gen}; shrinks toward shorter lists. */
    public static <T> Gen<List<T>> lists(final Gen<T> gen, final int minSize, final int sizeMax) {
        return lists(gen, ints(minSize, sizeMax));
    }

    /** Lists of values of {@code gen}, as many as {@code sizes} draws; shrinks as {@code sizes} does. */
    public static <T> Gen<List<T>> lists(final Gen<T> gen, final Gen<Integer> sizes) {
        final Gen<List<T>> lists = in -> {
            final int size = sizes.generate(in);
            final List<T> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(gen.generate(in));
            }
            return list;
        };
        return lists.describedAs(list -> describe(gen, list));
    }

    /**
     * Sets of {@code 0..sizeMax} distinct values of {@code gen}, in the order drawn. A repeat is drawn again, a
     * bounded number of times, so a set reaches the size drawn unless {@code gen} has too few values.
     */
    public static <T> Gen<Set<T>> sets(final Gen<T> gen, final int sizeMax) {
        final Gen<Integer> sizes = ints(0, sizeMax);
        final Gen<Set<T>> sets = in -> {
            final int size = sizes.generate(in);
            final Set<T> set = new LinkedHashSet<>();
            for (int draws = 0; set.size() < size && draws < 4 * size + 16; draws++) {
                set.add(gen.generate(in));
            }
            return set;
        };
        return sets.describedAs(set -> describe(gen, set));
    }

    private static Gen<String> strings(final Gen<Integer> codePoints, final int minLength, final int maxLength) {
        final Gen<Integer> lengths = ints(minLength, maxLength);
        return in -> {
            final int length = lengths.generate(in);
            final StringBuilder text = new StringBuilder(length);
            while (text.length() < length) {
                final int codePoint = codePoints.generate(in);
                // A supplementary character takes two chars: where only one is left, a plain one keeps the length.
                text.appendCodePoint(Character.charCount(codePoint) <= length - text.length() ? codePoint : 'x');
            }
            return text.toString();
        };
    }

    private static Gen<Integer> codePoints(final boolean withControls) {
        final Gen<Integer> printableAscii = Generate.range(0x20, 0x7E, 'a');
        final Gen<Integer> basicPlane = oneOf(Generate.range(0xA0, 0xD7FF, 0xA0), Generate.range(0xE000, 0xFFFD,
            0xE000));
        final Gen<Integer> supplementary = Generate.range(0x1_0000, 0x10_FFFF, 0x1_0000);
        if (!withControls) {
            return weighted(Pair.of(6, printableAscii), Pair.of(2, basicPlane), Pair.of(1, supplementary));
        }
        final Gen<Integer> controls = oneOf(Generate.range(0x00, 0x1F, 0x00), Generate.range(0x7F, 0x9F, 0x7F));
        return weighted(Pair.of(6, printableAscii), Pair.of(2, basicPlane), Pair.of(1, supplementary),
            Pair.of(1, controls));
    }

    private static <T> String describe(final Gen<T> gen, final java.util.Collection<T> values) {
        return values.stream().map(gen::asString).collect(Collectors.joining(", ", "[", "]"));
    }
}
