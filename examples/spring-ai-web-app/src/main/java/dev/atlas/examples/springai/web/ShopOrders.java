package dev.atlas.examples.springai.web;

import org.springframework.data.jpa.repository.JpaRepository;

/** Spring Data JPA over {@link ShopOrder}. */
public interface ShopOrders extends JpaRepository<ShopOrder, Long> {
}
