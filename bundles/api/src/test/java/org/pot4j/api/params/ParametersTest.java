package org.pot4j.api.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pot4j.api.InvalidInputException;

class ParametersTest {

    private static Parameters params(Object value) {
        return new Parameters(Map.of("stat_subset_size", value), "compression.algorithms[0].params", null);
    }

    @Test
    void integerAcceptsWholeNumbersOfEveryJsonType() {
        assertEquals(300, params(300).integer("stat_subset_size"));
        assertEquals(300, params(300L).integer("stat_subset_size"));
        assertEquals(300, params(300.0).integer("stat_subset_size"));
        assertEquals(Long.MAX_VALUE, params(BigInteger.valueOf(Long.MAX_VALUE)).integer("stat_subset_size"));
        assertEquals(Long.MIN_VALUE, params(BigInteger.valueOf(Long.MIN_VALUE)).integer("stat_subset_size"));
        assertEquals(3, params(new BigDecimal("3.000")).integer("stat_subset_size"));
        assertEquals(-0x1p62, params(-0x1p62).integer("stat_subset_size"));
    }

    @Test
    void integerBeyondLongIsAnErrorEchoingTheNumberAsWritten() {
        // 1e30 as a double used to be clamped to Long.MAX_VALUE and echoed as '9223372036854775807'
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> params(1e30).integer("stat_subset_size"));
        assertEquals("compression.algorithms[0].params.stat_subset_size", e.field());
        assertEquals("1.0E30", e.value());
        assertTrue(e.allowed().contains("9223372036854775807"), e.allowed());

        // 10**30, which Jackson reads as BigInteger, used to wrap to 5076944270305263616
        BigInteger huge = BigInteger.TEN.pow(30);
        e = assertThrows(InvalidInputException.class, () -> params(huge).integer("stat_subset_size"));
        assertEquals("1000000000000000000000000000000", e.value());
        assertTrue(e.getMessage().contains("'1000000000000000000000000000000'"), e.getMessage());

        // 2^63 as a double is one beyond Long.MAX_VALUE
        e = assertThrows(InvalidInputException.class, () -> params(0x1p63).integer("stat_subset_size"));
        assertEquals(String.valueOf(0x1p63), e.value());
        assertThrows(InvalidInputException.class,
                () -> params(BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE)).integer("stat_subset_size"));
    }

    @Test
    void integerWithAFractionIsAnError() {
        for (Object value : List.of(1.5, new BigDecimal("1.0000000000000000000001"), Double.POSITIVE_INFINITY,
                Double.NaN, "300")) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> params(value).integer("stat_subset_size"), String.valueOf(value));
            assertEquals(String.valueOf(value), e.value());
            assertTrue(e.allowed().contains("whole number"), e.allowed());
        }
    }

    @Test
    void validateNamesTheBoundForANumberBeyondLong() {
        List<ParameterDescriptor> bounded = List.of(
                ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, 65536.0, "samples"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> params(1e30).validate(bounded));
        assertEquals("1.0E30", e.value());
        assertEquals("allowed range: 1 .. 65536", e.allowed());
        e = assertThrows(InvalidInputException.class, () -> params(BigInteger.TEN.pow(30)).validate(bounded));
        assertEquals("1000000000000000000000000000000", e.value());
        assertEquals("allowed range: 1 .. 65536", e.allowed());

        List<ParameterDescriptor> atLeastOne = List.of(
                ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, 300, 1.0, null, "samples"));
        e = assertThrows(InvalidInputException.class, () -> params(1e30).validate(atLeastOne));
        assertEquals("1.0E30", e.value());
        assertTrue(e.allowed().contains("9223372036854775807"), e.allowed());
        assertEquals(300, params(300).validate(atLeastOne).integer("stat_subset_size"));
    }

    @Test
    void validateComparesBoundsExactly() {
        // 2^53 + 1 rounds to 2^53 as a double, which would pass a bound of 2^53
        List<ParameterDescriptor> descriptors = List.of(
                ParameterDescriptor.bounded("stat_subset_size", ParameterType.INTEGER, null, 1.0, 0x1p53, "samples"));
        long beyond = (1L << 53) + 1;
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> params(beyond).validate(descriptors));
        assertEquals(String.valueOf(beyond), e.value());
        assertEquals("allowed range: 1 .. 9007199254740992", e.allowed());
    }

    @Test
    void numberBeyondDoubleIsAnError() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> params(new BigDecimal("1e400")).number("stat_subset_size"));
        assertEquals("1E+400", e.value());
    }
}
