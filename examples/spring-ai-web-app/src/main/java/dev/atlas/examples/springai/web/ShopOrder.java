package dev.atlas.examples.springai.web;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** The application's own data, in a JPA entity beside Atlas's tables. */
@Entity
@Table(name = "shop_orders")
public class ShopOrder {
    @Id
    private Long id;
    private String status;

    protected ShopOrder() {
    }

    public ShopOrder(Long id, String status) {
        this.id = id;
        this.status = status;
    }

    public Long getId() {
        return id;
    }

    public String getStatus() {
        return status;
    }
}
